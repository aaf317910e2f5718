import pytest


@pytest.fixture
def index():
    """index(object_id, product, text, kind="requirement", title="") → indexes one document."""
    from pmloop.search import services

    def add(object_id: int, product, text: str, *, kind: str = "requirement", title: str = ""):
        services.index_document(
            kind=kind, object_id=object_id, product_id=getattr(product, "pk", product), title=title, text=text
        )

    return add


@pytest.fixture
def found():
    """found(q, product_ids=None, kinds=None) → sorted [(kind, object_id)] that search returns."""
    from pmloop.search import selectors

    def run(q: str, product_ids=None, kinds=None):
        return sorted(
            (h.kind, h.object_id) for h in selectors.search(q=q, product_ids=product_ids, kinds=kinds)
        )

    return run
