"""`POST /api/auth/token/` (username, password → a new token for this device or script) and
`POST /api/auth/token/revoke/` (a script's logout)."""

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from knox.models import AuthToken
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from .tokens import record_token_login, record_token_logout


class CredentialsSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()
    expiry = serializers.DateTimeField()


class ObtainTokenView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(request=CredentialsSerializer, responses={200: TokenResponseSerializer},
                   summary="用户名和密码换取令牌（每次登录一个新令牌，按期失效）")
    def post(self, request):
        body = CredentialsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        # The Django request, so that django-axes counts the failure and its middleware answers a
        # locked-out caller with the lockout message.
        user = authenticate(request._request, **body.validated_data)
        if user is None:
            return Response({"detail": "用户名或密码不正确。"}, status=status.HTTP_400_BAD_REQUEST)
        instance, token = AuthToken.objects.create(user=user)
        record_token_login(request, instance)
        return Response({"token": token, "expiry": instance.expiry})


class RevokeTokenView(APIView):
    """Revokes the token this call is made with (a script's logout)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None}, summary="撤销本次使用的令牌")
    def post(self, request):
        if isinstance(request.auth, AuthToken):
            record_token_logout(request.auth)
            request.auth.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
