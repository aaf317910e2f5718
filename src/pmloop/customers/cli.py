"""`pmloop customers`: parse, call one service or selector, print.

The shared machinery (Django start-up, ``--as``, output) comes from the Runtime the root
command puts in ``ctx.obj``; this module imports no front. Customers are named by id or by
name within ``--product``.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

customers_app = typer.Typer(help="Customers of a product: list, add, show.", no_args_is_help=True)

AsOpt = Annotated[
    str | None,
    typer.Option("--as", envvar="PMLOOP_AS", help="Act as this user (default: the first active site admin)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (for scripts).")]
ProductOpt = Annotated[
    str, typer.Option("--product", "-p", envvar="PMLOOP_PRODUCT", help="Product code, e.g. IMSDK.")
]


def _rt(ctx: typer.Context, as_json: bool = False) -> Any:
    runtime = ctx.find_root().obj
    runtime.set_json(as_json)
    runtime.boot()
    return runtime


def customer_out(c, contacts: list | None = None) -> dict[str, Any]:
    data = {
        "id": c.pk,
        "product": c.product.code,
        "name": c.name,
        "industry": c.industry,
        "tier": c.tier,
        "weight": c.weight,
        "owner": c.owner.username if c.owner_id else None,
        "notes": c.notes,
        "archived": c.archived,
        "version": c.version,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    }
    if contacts is not None:
        data["contacts"] = [
            {
                "id": p.pk,
                "name": p.name,
                "title": p.title,
                "email": p.email,
                "phone": p.phone,
                "notes": p.notes,
            }
            for p in contacts
        ]
    return data


def resolve_customer(actor, product, ref: str):
    """A customer by id, or by name within the product."""
    from pmloop.customers import selectors

    ref = ref.strip()
    if ref.isdigit():
        customer = selectors.get_customer(actor=actor, customer_id=int(ref))
        if customer.product_id == product.pk:
            return customer
    return selectors.get_customer(
        actor=actor, customer_id=selectors.find_customer(actor=actor, product_id=product.pk, name=ref).pk
    )


@customers_app.command("list")
def customers_list(
    ctx: typer.Context,
    product: ProductOpt,
    q: Annotated[str, typer.Option("--q", help="Part of the name, notes or a contact's name.")] = "",
    industry: Annotated[
        str | None, typer.Option("--industry", help="e.g. finance, internet, government.")
    ] = None,
    tier: Annotated[str | None, typer.Option("--tier", help="strategic, key, standard or small.")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="User name of the owner.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Include archived customers.")] = False,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List a product's customers."""
    r = _rt(ctx, as_json)
    from pmloop.customers import selectors

    actor = r.actor(as_user)
    p = r.product(actor, product)
    rows = [
        customer_out(c)
        for c in selectors.list_customers(
            actor=actor, product_id=p.pk, q=q, industry=industry, tier=tier,
            owner_id=r.user(owner).pk if owner else None, include_archived=all_,
        )
    ]  # fmt: skip
    r.emit(
        rows, as_json=as_json, columns=["id", "name", "industry", "tier", "weight", "owner", "archived"],
        rows=[[c["id"], c["name"], c["industry"], c["tier"], c["weight"], c["owner"] or "",
               "yes" if c["archived"] else ""] for c in rows],
    )  # fmt: skip


@customers_app.command("add")
def customers_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Customer name, e.g. 招商银行.")],
    product: ProductOpt,
    industry: Annotated[
        str, typer.Option("--industry", help="internet, finance, education, … other.")
    ] = "other",
    tier: Annotated[
        str, typer.Option("--tier", help="strategic (10), key (5), standard (2), small (1).")
    ] = "standard",
    weight: Annotated[int | None, typer.Option("--weight", help="1–100; default from the tier.")] = None,
    owner: Annotated[
        str | None, typer.Option("--owner", help="User name of a member (usually sales).")
    ] = None,
    notes: Annotated[str, typer.Option("--notes", help="Free text.")] = "",
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a customer to a product."""
    r = _rt(ctx, as_json)
    from pmloop.customers import selectors, services

    actor = r.actor(as_user)
    p = r.product(actor, product)
    c = services.create_customer(
        actor=actor, product_id=p.pk, name=name, industry=industry, tier=tier, weight=weight,
        owner_id=r.user(owner).pk if owner else None, notes=notes,
    )  # fmt: skip
    c = selectors.get_customer(actor=actor, customer_id=c.pk)
    r.emit(
        customer_out(c, []), as_json=as_json,
        text=f"Added customer '{c.name}' (id {c.pk}) to {p.code}: {c.tier}, weight {c.weight}.",
    )  # fmt: skip


@customers_app.command("show")
def customers_show(
    ctx: typer.Context,
    customer: Annotated[str, typer.Argument(help="Customer id or name.")],
    product: ProductOpt,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show a customer and their contacts."""
    r = _rt(ctx, as_json)
    actor = r.actor(as_user)
    p = r.product(actor, product)
    c = resolve_customer(actor, p, customer)
    contacts = list(c.contacts.all())
    data = customer_out(c, contacts)
    if as_json:
        r.print_json(data)
        return
    r.out.print(f"{c.name}  ({p.code}, id {c.pk}){'  [archived]' if c.archived else ''}", markup=False)
    r.out.print(
        f"industry {c.industry} · tier {c.tier} · weight {c.weight} · owner {data['owner'] or '—'} · "
        f"version {c.version}",
        markup=False,
    )
    if c.notes:
        r.out.print(c.notes, markup=False)
    r.out.print(f"\nContacts ({len(contacts)}):", markup=False)
    for person in contacts:
        extra = " · ".join(x for x in (person.title, person.email, person.phone) if x)
        r.out.print(f"  {person.name}{'  ' + extra if extra else ''}", markup=False)
