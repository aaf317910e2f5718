"""`pmloop users|members|tokens`: parse, call one service or selector, print.

The shared machinery (Django start-up, ``--as``, output) comes from the Runtime the root
command puts in ``ctx.obj``; this module imports no front. Services are imported inside each
command, once Django is configured.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

users_app = typer.Typer(help="Site users (admins only, except listing).", no_args_is_help=True)
members_app = typer.Typer(help="Who holds which role on a product.", no_args_is_help=True)
tokens_app = typer.Typer(help="Personal API tokens of the acting user.", no_args_is_help=True)

AsOpt = Annotated[
    str | None,
    typer.Option("--as", envvar="PMLOOP_AS", help="Act as this user (default: the first active site admin)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (for scripts).")]
ROLES_HELP = "owner, pm, reviewer, sales, support, developer or viewer"


def _rt(ctx: typer.Context, as_json: bool = False) -> Any:
    runtime = ctx.find_root().obj
    runtime.set_json(as_json)
    runtime.boot()
    return runtime


def _user_out(u) -> dict[str, Any]:
    return {
        "id": u.pk,
        "username": u.username,
        "display_name": u.display_name,
        "email": u.email,
        "admin": u.is_superuser,
        "active": u.is_active,
        "language": u.language,
    }


# ---- users ------------------------------------------------------------------------------------
@users_app.command("list")
def users_list(
    ctx: typer.Context,
    q: Annotated[str, typer.Option("--q", help="Filter by user name or display name.")] = "",
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List users (site admins also see deactivated ones)."""
    r = _rt(ctx, as_json)
    from pmloop.accounts import selectors

    users = [_user_out(u) for u in selectors.list_users(actor=r.actor(as_user), q=q)]
    r.emit(
        users, as_json=as_json, columns=["id", "user", "name", "e-mail", "admin", "active"],
        rows=[[u["id"], u["username"], u["display_name"], u["email"], "yes" if u["admin"] else "",
               "yes" if u["active"] else "no"] for u in users],
    )  # fmt: skip


@users_app.command("create")
def users_create(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Login name.")],
    email: Annotated[str, typer.Option("--email", help="E-mail address.")] = "",
    display_name: Annotated[str, typer.Option("--display-name", help="Name shown to others.")] = "",
    admin: Annotated[bool, typer.Option("--admin", help="Make a site admin.")] = False,
    password: Annotated[str | None, typer.Option("--password", help="Prompted twice when omitted.")] = None,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a user (needs a site admin)."""
    r = _rt(ctx, as_json)
    from pmloop.accounts import services

    actor = r.actor(as_user)
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    user = services.create_user(
        actor=actor, username=username, password=password, email=email, display_name=display_name,
        is_admin=admin,
    )  # fmt: skip
    r.emit(_user_out(user), as_json=as_json, text=f"Created user '{user.username}' (id {user.pk}).")


def _set_active(ctx: typer.Context, username: str, as_user: str | None, as_json: bool, active: bool) -> None:
    r = _rt(ctx, as_json)
    from pmloop.accounts import services

    actor = r.actor(as_user)
    user = services.set_user_active(actor=actor, user_id=r.user(username).pk, active=active)
    r.emit(
        _user_out(user), as_json=as_json,
        text=f"{'Activated' if active else 'Deactivated'} user '{user.username}'.",
    )  # fmt: skip


@users_app.command("deactivate")
def users_deactivate(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="The user to deactivate.")],
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Deactivate a user: they can no longer log in or use their tokens; history stays."""
    _set_active(ctx, username, as_user, as_json, active=False)


@users_app.command("activate")
def users_activate(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="The user to re-activate.")],
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Re-activate a deactivated user."""
    _set_active(ctx, username, as_user, as_json, active=True)


@users_app.command("password")
def users_password(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Whose password to set.")],
    password: Annotated[str | None, typer.Option("--password", help="Prompted twice when omitted.")] = None,
    as_user: AsOpt = None,
) -> None:
    """Set a user's password (a site admin, or the user themself)."""
    r = _rt(ctx)
    from pmloop.accounts import services

    actor = r.actor(as_user)
    target = r.user(username)
    if password is None:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    services.set_password(actor=actor, user_id=target.pk, password=password)
    r.say(f"Password of '{target.username}' changed.")


@users_app.command("language")
def users_language(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Whose language to set.")],
    language: Annotated[str, typer.Argument(help="zh-hans or en.")],
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Set the language a user reads pages (on a device without its own choice) and e-mails in."""
    r = _rt(ctx, as_json)
    from pmloop.accounts import services

    user = services.set_language(actor=r.actor(as_user), user_id=r.user(username).pk, language=language)
    r.emit(_user_out(user), as_json=as_json, text=f"Language of '{user.username}': {user.language}.")


# ---- members ----------------------------------------------------------------------------------
def _member_out(m) -> dict[str, Any]:
    return {
        "user_id": m.user_id,
        "username": m.user.username,
        "display_name": m.user.display_name,
        "role": m.role,
        "product_id": m.product_id,
    }


@members_app.command("list")
def members_list(
    ctx: typer.Context,
    product_code: Annotated[str, typer.Argument(help="Product code, e.g. IMSDK.")],
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List a product's members and their roles."""
    r = _rt(ctx, as_json)
    from pmloop.accounts import selectors

    actor = r.actor(as_user)
    product = r.product(actor, product_code)
    members = [_member_out(m) for m in selectors.list_members(actor=actor, product_id=product.pk)]
    r.emit(
        members, as_json=as_json, columns=["user", "name", "role"],
        rows=[[m["username"], m["display_name"], m["role"]] for m in members],
    )  # fmt: skip


@members_app.command("add")
def members_add(
    ctx: typer.Context,
    product_code: Annotated[str, typer.Argument(help="Product code, e.g. IMSDK.")],
    username: Annotated[str, typer.Argument(help="The user to add.")],
    role: Annotated[str, typer.Argument(help=ROLES_HELP)],
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Give a user a role on a product (needs the product's owner)."""
    r = _rt(ctx, as_json)
    from pmloop.accounts import services

    actor = r.actor(as_user)
    product = r.product(actor, product_code)
    m = services.add_member(actor=actor, product_id=product.pk, user_id=r.user(username).pk, role=role)
    r.emit(_member_out(m), as_json=as_json, text=f"{m.user.username} is now {m.role} of {product.code}.")


@members_app.command("role")
def members_role(
    ctx: typer.Context,
    product_code: Annotated[str, typer.Argument(help="Product code, e.g. IMSDK.")],
    username: Annotated[str, typer.Argument(help="The member.")],
    role: Annotated[str, typer.Argument(help=ROLES_HELP)],
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a member's role."""
    r = _rt(ctx, as_json)
    from pmloop.accounts import services

    actor = r.actor(as_user)
    product = r.product(actor, product_code)
    m = services.change_member_role(
        actor=actor, product_id=product.pk, user_id=r.user(username).pk, role=role
    )
    r.emit(_member_out(m), as_json=as_json, text=f"{m.user.username} is now {m.role} of {product.code}.")


@members_app.command("remove")
def members_remove(
    ctx: typer.Context,
    product_code: Annotated[str, typer.Argument(help="Product code, e.g. IMSDK.")],
    username: Annotated[str, typer.Argument(help="The member to remove.")],
    as_user: AsOpt = None,
) -> None:
    """Take a user off a product (a product keeps at least one owner)."""
    r = _rt(ctx)
    from pmloop.accounts import services

    actor = r.actor(as_user)
    product = r.product(actor, product_code)
    user = r.user(username)
    services.remove_member(actor=actor, product_id=product.pk, user_id=user.pk)
    r.say(f"{user.username} is no longer a member of {product.code}.")


# ---- tokens -----------------------------------------------------------------------------------
def _token_out(t) -> dict[str, Any]:
    return {
        "id": t.pk,
        "name": t.name,
        "prefix": t.prefix,
        "scope": t.scope,
        "created_at": t.created_at,
        "expires_at": t.expires_at,
        "last_used_at": t.last_used_at,
        "revoked_at": t.revoked_at,
        "active": t.is_active,
    }


@tokens_app.command("create")
def tokens_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="What the token is for, e.g. 'CI'.")],
    scope: Annotated[str, typer.Option("--scope", help="read or write.")] = "read",
    expires_days: Annotated[int | None, typer.Option("--expires-days", help="Expire after N days.")] = None,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create an API token for the acting user. The secret is printed once."""
    r = _rt(ctx, as_json)
    from pmloop.accounts import services

    new = services.create_api_token(
        actor=r.actor(as_user), name=name, scope=scope, expires_in_days=expires_days
    )
    data = {**_token_out(new.token), "token": new.raw}
    r.emit(data, as_json=as_json, text=f"{new.raw}\n(token {new.token.pk} '{new.token.name}', {new.token.scope}; "
                                       "shown once: store it now)")  # fmt: skip


@tokens_app.command("list")
def tokens_list(ctx: typer.Context, as_user: AsOpt = None, as_json: JsonOpt = False) -> None:
    """List the acting user's tokens (never their secrets)."""
    r = _rt(ctx, as_json)
    from pmloop.accounts import selectors

    tokens = [_token_out(t) for t in selectors.list_tokens(actor=r.actor(as_user))]
    r.emit(
        tokens, as_json=as_json, columns=["id", "name", "prefix", "scope", "expires", "last used", "state"],
        rows=[[t["id"], t["name"], t["prefix"], t["scope"], t["expires_at"] or "never",
               t["last_used_at"] or "", "active" if t["active"] else ("revoked" if t["revoked_at"] else "expired")]
              for t in tokens],
    )  # fmt: skip


@tokens_app.command("revoke")
def tokens_revoke(
    ctx: typer.Context,
    token: Annotated[str, typer.Argument(help="Token id or prefix (see `pmloop tokens list`).")],
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Revoke a token: it stops working at once."""
    r = _rt(ctx, as_json)
    from pmloop.accounts import selectors, services
    from pmloop.core.errors import NotFound

    actor = r.actor(as_user)
    # A prefix first: 8 hex digits are all decimal digits for about 1 token in 40, and such a
    # prefix must still name its token; a number that is no prefix of yours is an id.
    token = token.strip()
    match = [t.pk for t in selectors.list_tokens(actor=actor) if t.prefix == token]
    if match:
        token_id = match[0]
    elif token.isdigit():
        token_id = int(token)
    else:
        raise NotFound(f"You have no token with prefix '{token}'.", code="token_not_found")
    revoked = services.revoke_api_token(actor=actor, token_id=token_id)
    r.emit(_token_out(revoked), as_json=as_json, text=f"Revoked token {revoked.pk} '{revoked.name}'.")
