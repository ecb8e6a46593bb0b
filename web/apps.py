from django.apps import AppConfig


class WebConfig(AppConfig):
    """The shared page chrome: base template, error pages, query parameters, API plumbing."""

    name = "web"
    verbose_name = "页面框架"
