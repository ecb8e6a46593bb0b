from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from .api import ObtainTokenView, RevokeTokenView

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="registration/login.html",
                                                redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(
        template_name="registration/password_change.html", success_url=reverse_lazy("password_changed")),
        name="password_change"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(
        template_name="registration/password_changed.html"), name="password_changed"),
    path("api/auth/token/", ObtainTokenView.as_view(), name="api_token"),
    path("api/auth/token/revoke/", RevokeTokenView.as_view(), name="api_token_revoke"),
]
