"""Walking a list endpoint's pages the way the workspace does: `next_cursor` until null."""


def walk_pages(client, url: str, params: dict) -> tuple[list[int], int]:
    """Every row id of every page, in order, and how many pages it took."""
    seen: list[int] = []
    cursor, pages = None, 0
    while True:
        body = client.get(url, {**params, **({"cursor": cursor} if cursor else {})}).json()
        seen += [row["id"] for row in body["results"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return seen, pages
