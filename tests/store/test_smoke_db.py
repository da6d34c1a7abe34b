from sqlalchemy import text

from trustcart.store.db import Database


def test_database_round_trip(db: Database) -> None:
    with db.transaction() as session:
        assert session.execute(text("SELECT 1")).scalar_one() == 1
