from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pmloop.accounts.roles import Role


class User(AbstractUser):
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    # The user's own choice of language ("" = none yet: the browser's or the site default).
    # Pages use it on a device without a language cookie; e-mails are written in it.
    language = models.CharField(_("language"), max_length=10, blank=True)

    audit_fields = ("username", "email", "display_name", "is_active", "is_superuser", "language")

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username


class Membership(models.Model):
    """A user's role on one product. Every permission check starts here."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    product = models.ForeignKey("products.Product", on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    audit_fields = ("user_id", "product_id", "role")

    class Meta:
        verbose_name = _("membership")
        constraints = [
            models.UniqueConstraint(fields=["user", "product"], name="membership_unique_user_product")
        ]
        indexes = [models.Index(fields=["product", "role"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.product} · {self.get_role_display()}"


class TokenScope(models.TextChoices):
    READ = "read", _("Read only")
    WRITE = "write", _("Read and write")


class ApiToken(models.Model):
    """An API token. Only a hash of the secret is kept; the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    key_hash = models.CharField(max_length=64)
    scope = models.CharField(_("scope"), max_length=10, choices=TokenScope.choices, default=TokenScope.READ)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    audit_fields = ("user_id", "name", "prefix", "scope", "expires_at", "revoked_at")

    class Meta:
        verbose_name = _("API token")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class LoginFailure(models.Model):
    """One failed login, kept for throttling (a table, so every server worker sees it)."""

    username = models.CharField(max_length=150, db_index=True)
    ip = models.CharField(max_length=45, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.username} from {self.ip or '?'} at {self.created_at:%Y-%m-%d %H:%M}"
