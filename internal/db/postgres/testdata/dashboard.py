"""The dashboard ctitui adopts, played with its own stack: SQLAlchemy 1.4's
ORM over psycopg2, passwords hashed and checked by passlib's bcrypt.

    dashboard.py create HOST DBNAME USER   create_all() with the model from
                                           before updated_at existed, and
                                           users registered through the ORM
    dashboard.py after HOST DBNAME USER    the model with updated_at, after
                                           ctitui adopted the database:
                                           logins, a registration, a
                                           deactivation, through the ORM

Each command prints one JSON object. HOST is the server's Unix socket
directory. Used by adopt_dashboard_test.go.
"""

import datetime
import json
import os
import sys
import uuid

from passlib.context import CryptContext
from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String, Table, create_engine
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Session, declarative_base, relationship

# The dashboard's context; tests lower bcrypt's cost (same hash format).
pwd = CryptContext(
    schemes=["bcrypt"], deprecated="auto", bcrypt__rounds=int(os.environ.get("DASHBOARD_BCRYPT_ROUNDS", "12"))
)


def models(with_updated_at):
    Base = declarative_base()
    user_roles = Table(
        "user_roles",
        Base.metadata,
        Column("user_id", UUID(as_uuid=True), ForeignKey("users.id"), primary_key=True),
        Column("role_id", Integer, ForeignKey("roles.id"), primary_key=True),
    )

    class Role(Base):
        __tablename__ = "roles"
        id = Column(Integer, primary_key=True)
        name = Column(String, unique=True, nullable=False)
        description = Column(String)

    attrs = dict(
        __tablename__="users",
        id=Column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4),
        email=Column(String, unique=True, index=True, nullable=False),
        hashed_password=Column(String, nullable=False),
        is_active=Column(Boolean, default=True),
        created_at=Column(DateTime, default=datetime.datetime.utcnow),
        roles=relationship(Role, secondary=user_roles),
    )
    if with_updated_at:
        attrs["updated_at"] = Column(
            DateTime, nullable=False, default=datetime.datetime.utcnow, onupdate=datetime.datetime.utcnow
        )
    User = type("User", (Base,), attrs)

    class Indicator(Base):
        __tablename__ = "indicators"
        id = Column(Integer, primary_key=True)
        value = Column(String, nullable=False)
        created_by = Column(UUID(as_uuid=True), ForeignKey("users.id"))

    return Base, User, Role, Indicator


def register(session, User, Role, email, password, role, active=True):
    user = User(email=email, hashed_password=pwd.hash(password), is_active=active)
    user.roles.append(session.query(Role).filter_by(name=role).one())
    session.add(user)
    session.commit()
    return user


def login(session, User, email, password):
    user = session.query(User).filter(User.email == email).first()
    if user is None or not pwd.verify(password, user.hashed_password):
        return "bad credentials"
    if not user.is_active:
        return "inactive"
    return "ok"


def main():
    command, host, dbname, user = sys.argv[1:5]
    engine = create_engine("postgresql+psycopg2://%s@/%s?host=%s" % (user, dbname, host), future=True)
    out = {}
    if command == "create":
        Base, User, Role, Indicator = models(with_updated_at=False)
        Base.metadata.create_all(engine)
        with Session(engine) as session:
            session.add_all([Role(name="admin", description="Administrator"), Role(name="user")])
            session.commit()
            alice = register(session, User, Role, "Alice@Example.org", "alice-pass", "admin")
            register(session, User, Role, "bob@example.org", "bob-pass", "user", active=False)
            register(session, User, Role, "carol@example.org", "carol-pass", "user")
            session.add(Indicator(value="198.51.100.7", created_by=alice.id))
            session.commit()
            out["alice"] = str(alice.id)
    elif command == "after":
        Base, User, Role, Indicator = models(with_updated_at=True)
        with Session(engine) as session:
            out["logins"] = {
                "alice": login(session, User, "Alice@Example.org", "alice-pass"),
                "bob": login(session, User, "bob@example.org", "bob-pass"),
                "carol": login(session, User, "carol@example.org", "carol-pass"),
            }
            dave = register(session, User, Role, "Dave@Example.org", "dave-pass", "user")
            out["dave"] = str(dave.id)
            out["logins"]["dave"] = login(session, User, "Dave@Example.org", "dave-pass")
            carol = session.query(User).filter_by(email="carol@example.org").one()
            carol.is_active = False
            session.commit()
            out["logins"]["carol after deactivation"] = login(session, User, "carol@example.org", "carol-pass")
    elif command == "login":
        Base, User, Role, Indicator = models(with_updated_at=True)
        with Session(engine) as session:
            out["login"] = login(session, User, sys.argv[5], sys.argv[6])
    else:
        raise SystemExit("unknown command " + command)
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main()
