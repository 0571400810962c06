"""A read that runs at every request, compiled to SQL once per database connection.

Django compiles a queryset to SQL each time it is evaluated, and for a small query that
is most of its cost: the patient's answers read at each questionnaire submission took
1.04 ms of Python, 0.47 ms compiled once (1,000 patients, ``bench.profile --functions``,
docs/performance.md). ``Compiled`` compiles a ``values_list`` queryset once per
connection, with a placeholder for the value that changes between calls (it may stand
in more than one place), then runs that SQL with the value given and converts the rows
with the converters Django chose for the queryset (JSON, SQLite's dates and booleans):
the rows the queryset gives (tests/test_compiled.py).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from functools import cache

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet

#: Stands for the changing value while the queryset is compiled: no id is negative.
PLACEHOLDER = -7_392_211_117


class Compiled:
    """``build(value)`` makes the queryset (a ``values_list``) for one value;
    ``placeholder`` stands for the value while compiling (no real value may equal it)."""

    def __init__(self, build: Callable[[object], QuerySet], *, placeholder=PLACEHOLDER):
        self.build = build
        self.placeholder = placeholder
        self._by_connection: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def rows(self, value, *, using: str = DEFAULT_DB_ALIAS) -> list[tuple]:
        """The queryset's rows for ``value``: one query, no compiling after the first."""
        connection = connections[using]
        compiled = self._by_connection.get(connection)
        if compiled is None:
            compiled = self._by_connection[connection] = self._compile(using)
        sql, template, positions, compiler, converters = compiled
        params = list(template)
        for position in positions:
            params[position] = value
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if converters:
            rows = compiler.apply_converters(rows, converters)
        return [tuple(row) for row in rows]

    def _compile(self, using: str) -> tuple:
        queryset = self.build(self.placeholder)
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        positions = [index for index, param in enumerate(params) if param == self.placeholder]
        if not positions:
            raise ValueError("the value must be a parameter of the query")
        fields = [selected[0] for selected in compiler.select[: compiler.col_count]]
        return sql, tuple(params), positions, compiler, compiler.get_converters(fields)


@cache
def attnames(model: type[Model]) -> tuple[str, ...]:
    """The columns ``Model.from_db`` takes for a whole ``model`` row, in its order: what a
    compiled ``values_list`` selects to make instances (``instance``)."""
    return tuple(field.attname for field in model._meta.concrete_fields)


def instance(model: type[Model], values: Sequence, *, using: str = DEFAULT_DB_ALIAS) -> Model:
    """A ``model`` instance from the converted values of its ``attnames``, as the ORM
    makes one from a row (``Model.from_db``: loaded, not new)."""
    return model.from_db(using, attnames(model), values)
