"""`pmloop products|modules`: parse, call one service or selector, print.

Updates name the ``--version`` they read (from `show` or `tree`); a stale one exits 6.
Modules are named by id or by their path in the tree (``群聊/群公告``).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

products_app = typer.Typer(help="Products: list, create, show, update, archive.", no_args_is_help=True)
modules_app = typer.Typer(help="A product's module tree (功能模块).", no_args_is_help=True)

AsOpt = Annotated[
    str | None,
    typer.Option("--as", envvar="PMLOOP_AS", help="Act as this user (default: the first active site admin)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (for scripts).")]
VersionOpt = Annotated[
    int, typer.Option("--version", help="The version you read (from `show`/`tree`); a stale one is refused.")
]
CodeArg = Annotated[str, typer.Argument(help="Product code, e.g. IMSDK.")]
ModuleArg = Annotated[str, typer.Argument(help="Module id, or its path in the tree, e.g. 群聊/群公告.")]


def _rt(ctx: typer.Context, as_json: bool = False) -> Any:
    runtime = ctx.find_root().obj
    runtime.set_json(as_json)
    runtime.boot()
    return runtime


def _product_out(p) -> dict[str, Any]:
    return {
        "id": p.pk,
        "code": p.code,
        "name": p.name,
        "description": p.description,
        "owner": p.owner.username,
        "review_rule": p.review_rule,
        "archived": p.archived,
        "version": p.version,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
    }


def _module_out(m, path: str | None = None) -> dict[str, Any]:
    return {
        "id": m.pk,
        "name": m.name,
        "path": path or m.name,
        "parent_id": m.parent_id,
        "position": m.position,
        "description": m.description,
        "version": m.version,
    }


# ---- products ---------------------------------------------------------------------------------
@products_app.command("list")
def products_list(
    ctx: typer.Context,
    all_: Annotated[bool, typer.Option("--all", help="Include archived products.")] = False,
    q: Annotated[str, typer.Option("--q", help="Filter by name or code.")] = "",
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List the products the acting user may see."""
    r = _rt(ctx, as_json)
    from pmloop.products import selectors

    items = [
        _product_out(p) for p in selectors.list_products(actor=r.actor(as_user), include_archived=all_, q=q)
    ]
    r.emit(
        items, as_json=as_json, columns=["code", "name", "owner", "review", "archived", "version"],
        rows=[[p["code"], p["name"], p["owner"], p["review_rule"], "yes" if p["archived"] else "", p["version"]]
              for p in items],
    )  # fmt: skip


@products_app.command("create")
def products_create(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="2–20 capitals/digits/-/_, e.g. IMSDK.")],
    name: Annotated[str, typer.Argument(help="Product name, e.g. 'IM 即时通讯 SDK'.")],
    description: Annotated[str, typer.Option("--description", help="What the product is.")] = "",
    review_rule: Annotated[
        str, typer.Option("--review-rule", help="all (every reviewer passes) or majority.")
    ] = "all",
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a product; the acting user becomes its owner."""
    r = _rt(ctx, as_json)
    from pmloop.products import services

    p = services.create_product(
        actor=r.actor(as_user), code=code, name=name, description=description, review_rule=review_rule
    )
    r.emit(
        _product_out(p), as_json=as_json, text=f"Created product {p.code} '{p.name}' (version {p.version})."
    )


def _tree_rows(nodes, prefix: str = "") -> list[tuple[Any, str, str]]:
    rows = []
    for node in nodes:
        path = f"{prefix}{node.module.name}"
        rows.append((node, path, "  " * node.depth + node.module.name))
        rows.extend(_tree_rows(node.children, prefix=f"{path}/"))
    return rows


def _tree_json(nodes, prefix: str = "") -> list[dict[str, Any]]:
    out = []
    for node in nodes:
        path = f"{prefix}{node.module.name}"
        item = _module_out(node.module, path)
        item["children"] = _tree_json(node.children, prefix=f"{path}/")
        out.append(item)
    return out


@products_app.command("show")
def products_show(ctx: typer.Context, code: CodeArg, as_user: AsOpt = None, as_json: JsonOpt = False) -> None:
    """Show a product and its module tree."""
    r = _rt(ctx, as_json)
    from pmloop.products import selectors

    actor = r.actor(as_user)
    p = selectors.get_product(actor=actor, code=code)
    tree = selectors.module_tree(actor=actor, product_id=p.pk)
    if as_json:
        r.print_json({**_product_out(p), "modules": _tree_json(tree)})
        return
    r.out.print(f"{p.code}  {p.name}{'  [archived]' if p.archived else ''}", markup=False)
    r.out.print(f"owner {p.owner.username} · review rule {p.review_rule} · version {p.version}", markup=False)
    if p.description:
        r.out.print(p.description, markup=False)
    rows = _tree_rows(tree)
    r.out.print(f"\nModules ({len(rows)}):", markup=False)
    for node, _path, label in rows:
        r.out.print(f"  {label}  (id {node.module.pk}, v{node.module.version})", markup=False)


@products_app.command("update")
def products_update(
    ctx: typer.Context,
    code: CodeArg,
    version: VersionOpt,
    name: Annotated[str | None, typer.Option("--name", help="New name.")] = None,
    description: Annotated[str | None, typer.Option("--description", help="New description.")] = None,
    review_rule: Annotated[str | None, typer.Option("--review-rule", help="all or majority.")] = None,
    owner: Annotated[
        str | None, typer.Option("--owner", help="User name of the new owner (must hold the owner role).")
    ] = None,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a product's name, description, review rule or owner."""
    r = _rt(ctx, as_json)
    from pmloop.products import selectors, services

    actor = r.actor(as_user)
    p = selectors.get_product(actor=actor, code=code)
    p = services.update_product(
        actor=actor, product_id=p.pk, expected_version=version, name=name, description=description,
        review_rule=review_rule, owner_id=r.user(owner).pk if owner else None,
    )  # fmt: skip
    r.emit(_product_out(p), as_json=as_json, text=f"Updated {p.code} (now version {p.version}).")


@products_app.command("archive")
def products_archive(
    ctx: typer.Context,
    code: CodeArg,
    version: VersionOpt,
    restore: Annotated[bool, typer.Option("--restore", help="Bring an archived product back.")] = False,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Archive a product (hidden from lists, kept whole), or --restore it."""
    r = _rt(ctx, as_json)
    from pmloop.products import selectors, services

    actor = r.actor(as_user)
    p = selectors.get_product(actor=actor, code=code)
    p = services.set_product_archived(
        actor=actor, product_id=p.pk, expected_version=version, archived=not restore
    )
    r.emit(
        _product_out(p), as_json=as_json,
        text=f"{'Restored' if restore else 'Archived'} {p.code} (now version {p.version}).",
    )  # fmt: skip


# ---- modules ----------------------------------------------------------------------------------
def _resolve_module(actor, product, ref: str):
    """A module of ``product`` by id or by path; NotFound otherwise."""
    from pmloop.core.errors import NotFound
    from pmloop.products import selectors

    ref = ref.strip().strip("/")
    rows = _tree_rows(selectors.module_tree(actor=actor, product_id=product.pk))
    for node, path, _label in rows:
        if (ref.isdigit() and node.module.pk == int(ref)) or path == ref:
            return node.module
    raise NotFound(f"{product.code} has no module '{ref}' (see `pmloop modules tree {product.code}`).",
                   code="module_not_found")  # fmt: skip


def _product_and_actor(r, code: str, as_user: str | None):
    from pmloop.products import selectors

    actor = r.actor(as_user)
    return actor, selectors.get_product(actor=actor, code=code)


@modules_app.command("tree")
def modules_tree(ctx: typer.Context, code: CodeArg, as_user: AsOpt = None, as_json: JsonOpt = False) -> None:
    """Print a product's module tree with ids and versions."""
    r = _rt(ctx, as_json)
    from pmloop.products import selectors

    actor, product = _product_and_actor(r, code, as_user)
    tree = selectors.module_tree(actor=actor, product_id=product.pk)
    if as_json:
        r.print_json(_tree_json(tree))
        return
    rows = _tree_rows(tree)
    r.emit(
        None, as_json=False, columns=["id", "module", "version", "path"],
        rows=[[node.module.pk, label, node.module.version, path] for node, path, label in rows],
    )  # fmt: skip


@modules_app.command("add")
def modules_add(
    ctx: typer.Context,
    code: CodeArg,
    name: Annotated[str, typer.Argument(help="Module name, e.g. 群公告.")],
    parent: Annotated[str | None, typer.Option("--parent", help="Parent module id or path.")] = None,
    description: Annotated[str, typer.Option("--description", help="What it covers.")] = "",
    position: Annotated[int | None, typer.Option("--position", help="0-based place among siblings.")] = None,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a module (at the top, or under --parent)."""
    r = _rt(ctx, as_json)
    from pmloop.products import services

    actor, product = _product_and_actor(r, code, as_user)
    parent_module = _resolve_module(actor, product, parent) if parent else None
    m = services.create_module(
        actor=actor, product_id=product.pk, name=name, description=description, position=position,
        parent_id=parent_module.pk if parent_module else None,
    )  # fmt: skip
    r.emit(_module_out(m), as_json=as_json, text=f"Added module '{m.name}' (id {m.pk}) to {product.code}.")


@modules_app.command("rename")
def modules_rename(
    ctx: typer.Context,
    code: CodeArg,
    module: ModuleArg,
    new_name: Annotated[str, typer.Argument(help="The new name.")],
    version: VersionOpt,
    description: Annotated[
        str | None, typer.Option("--description", help="Also change the description.")
    ] = None,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Rename a module (and optionally change its description)."""
    r = _rt(ctx, as_json)
    from pmloop.products import services

    actor, product = _product_and_actor(r, code, as_user)
    target = _resolve_module(actor, product, module)
    m = services.update_module(
        actor=actor, module_id=target.pk, expected_version=version, name=new_name, description=description
    )
    r.emit(_module_out(m), as_json=as_json, text=f"Module {m.pk} is now '{m.name}' (version {m.version}).")


@modules_app.command("move")
def modules_move(
    ctx: typer.Context,
    code: CodeArg,
    module: ModuleArg,
    version: VersionOpt,
    parent: Annotated[str | None, typer.Option("--parent", help="New parent module id or path.")] = None,
    root: Annotated[bool, typer.Option("--root", help="Move to the top level.")] = False,
    position: Annotated[int | None, typer.Option("--position", help="0-based place among siblings.")] = None,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Move a module with its sub-modules under another parent (or --root), or reorder it."""
    r = _rt(ctx, as_json)
    from pmloop.core.errors import InvalidInput
    from pmloop.products import services

    if parent and root:
        raise InvalidInput("Give either --parent or --root, not both.", field="parent")
    actor, product = _product_and_actor(r, code, as_user)
    target = _resolve_module(actor, product, module)
    if root:
        parent_id = None
    elif parent:
        parent_id = _resolve_module(actor, product, parent).pk
    else:
        parent_id = target.parent_id  # reorder among the same siblings
    m = services.move_module(
        actor=actor, module_id=target.pk, expected_version=version, parent_id=parent_id, position=position
    )
    r.emit(_module_out(m), as_json=as_json, text=f"Moved module '{m.name}' (now version {m.version}).")


@modules_app.command("delete")
def modules_delete(
    ctx: typer.Context,
    code: CodeArg,
    module: ModuleArg,
    version: VersionOpt,
    as_user: AsOpt = None,
) -> None:
    """Delete a module that has no sub-modules."""
    r = _rt(ctx)
    from pmloop.products import services

    actor, product = _product_and_actor(r, code, as_user)
    target = _resolve_module(actor, product, module)
    services.delete_module(actor=actor, module_id=target.pk, expected_version=version)
    r.say(f"Deleted module '{target.name}' from {product.code}.")
