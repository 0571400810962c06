"""Fast row writing for the synthetic network: explicit primary keys, rows buffered per
table and written in large batches (PostgreSQL ``COPY``; elsewhere ``executemany``).

Rows are given as ``{attname: value}`` dicts of Python values. Every field without a
constant default must be given (a ``timezone.now`` default would make two runs of the
same seed differ), and a missing one raises at once. The writer can also keep a
SHA-256 digest of every row in write order: the same seed and anchor give the same
digest.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from django.core.management.color import no_style
from django.db import connection, models

REQUIRED = object()


class Table:
    def __init__(self, model: type[models.Model], postgres: bool) -> None:
        self.model = model
        fields = list(model._meta.concrete_fields)
        self.attnames = [f.attname for f in fields]
        self.defaults = []
        converters: list[Callable | None] = []
        for f in fields:
            if f.primary_key:
                self.defaults.append(REQUIRED)
            elif f.has_default():
                default = f.default
                if callable(default):
                    default = default() if default in (dict, list) else REQUIRED
                self.defaults.append(default)
            elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                self.defaults.append(REQUIRED)
            elif f.null:
                self.defaults.append(None)
            elif f.empty_strings_allowed and f.blank:
                self.defaults.append("")
            else:
                self.defaults.append(REQUIRED)
            if postgres:
                converters.append(_json if isinstance(f, models.JSONField) else None)
            else:
                converters.append(_prep(f))
        self.converters = converters
        self.template = list(zip(self.attnames, self.defaults, strict=True))
        self.rows: list[tuple] = []
        self.checked = False
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        table = connection.ops.quote_name(model._meta.db_table)
        self.copy_sql = f"COPY {table} ({columns}) FROM STDIN"
        marks = ", ".join(["%s"] * len(fields))
        # names from the model's own metadata, quoted by the backend; values are parameters
        self.insert_sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608

    def row(self, values: dict) -> tuple:
        get = values.get
        out = tuple([get(name, default) for name, default in self.template])
        if REQUIRED in out:
            missing = [n for n, v in zip(self.attnames, out, strict=True) if v is REQUIRED]
            raise KeyError(f"{self.model._meta.label}: {', '.join(missing)} must be given")
        if len(values) > len(out) or not self.checked:
            unknown = set(values) - set(self.attnames)
            if unknown:
                raise KeyError(f"{self.model._meta.label}: unknown fields {sorted(unknown)}")
            self.checked = True
        return out


def _json(value):
    return None if value is None else json.dumps(value, separators=(",", ":"))


def _prep(field):
    def convert(value):
        return field.get_db_prep_save(value, connection)

    return convert


class Writer:
    """Buffers rows per model and writes them in batches."""

    def __init__(self, *, batch: int = 50_000, digest: bool = False, dry_run: bool = False):
        self.postgres = connection.vendor == "postgresql"
        self.batch = batch
        self.tables: dict[type, Table] = {}
        self.digest = hashlib.sha256() if digest else None
        self.dry_run = dry_run
        self.counts: dict[str, int] = {}
        self.ids: dict[type, int] = {}
        self.blocks: dict = {}
        self.slot = None

    # -- ids ----------------------------------------------------------------------------
    # A patient's rows of a model take ids from that patient's own block
    # (base + patient number × block size), so any process can build any patient and
    # get the same keys; everything else (reference data, lots, receipts) takes ids
    # after the last patient block (``next_id``).
    def configure(self, *, blocks: dict, patients: int, bases: dict | None = None) -> None:
        self.blocks = blocks
        self.bases = bases if bases is not None else {m: self._top(m) for m in blocks}
        self.patients = patients
        self.slot = None
        self.used: dict = {}

    def _top(self, model) -> int:
        return model._base_manager.aggregate(top=models.Max("pk"))["top"] or 0

    def begin_patient(self, n: int) -> None:
        self.slot = n
        self.used = {}

    def patient_id(self, model) -> int:
        block = self.blocks[model]
        taken = self.used.get(model, 0)
        if taken >= block:
            raise RuntimeError(f"synth: more than {block} {model._meta.label} rows for a patient")
        self.used[model] = taken + 1
        return self.bases[model] + self.slot * block + taken + 1

    def next_id(self, model) -> int:
        if model not in self.ids:
            top = self._top(model)
            if model in getattr(self, "blocks", {}):
                top = max(top, self.bases[model] + self.patients * self.blocks[model])
            self.ids[model] = top
        self.ids[model] += 1
        return self.ids[model]

    # -- rows ---------------------------------------------------------------------------
    def table(self, model) -> Table:
        found = self.tables.get(model)
        if found is None:
            found = self.tables[model] = Table(model, self.postgres)
        return found

    def add(self, model, **values) -> int:
        table = self.table(model)
        if "id" not in values and model._meta.pk.attname == "id":
            if self.slot is not None and model in self.blocks:
                values["id"] = self.patient_id(model)
            else:
                values["id"] = self.next_id(model)
        row = table.row(values)
        table.rows.append(row)
        if self.digest is not None:
            self.digest.update(repr((model._meta.db_table, row)).encode())
        if len(table.rows) >= self.batch:
            self.flush(model)
        return values.get("id")

    # -- a background COPY connection (large PostgreSQL loads) --------------------------
    def start_background(self, *, replica: bool) -> None:
        """Write batches from a thread on a connection of its own, so generating the
        next rows overlaps PostgreSQL storing the last ones. ``replica`` sets
        ``session_replication_role = replica`` there (no foreign-key triggers during
        the load; needs a superuser, else the checks stay on). Each ``commit()`` ends
        one transaction of that connection."""
        import queue
        import threading

        import psycopg

        settings_dict = connection.settings_dict
        params = {
            "dbname": settings_dict["NAME"],
            "user": settings_dict.get("USER") or None,
            "password": settings_dict.get("PASSWORD") or None,
            "host": settings_dict.get("HOST") or None,
            "port": settings_dict.get("PORT") or None,
        }
        self.queue: queue.Queue = queue.Queue(maxsize=6)
        self.error: BaseException | None = None
        self.replica_used = False

        def work() -> None:
            try:
                with psycopg.connect(**{k: v for k, v in params.items() if v}) as conn:
                    if replica:
                        try:
                            conn.execute("SET session_replication_role = replica")
                            conn.commit()
                            self.replica_used = True
                        except psycopg.Error:
                            conn.rollback()
                    while True:
                        item = self.queue.get()
                        if item is None:
                            conn.commit()
                            return
                        if item == "commit":
                            conn.commit()
                            continue
                        sql, rows, json_at = item
                        with conn.cursor() as cursor, cursor.copy(sql) as copy:
                            for row in rows:
                                if json_at:
                                    row = list(row)
                                    for i in json_at:
                                        row[i] = _json(row[i])
                                copy.write_row(row)
            except BaseException as exc:  # handed to the main thread
                self.error = exc
                while self.queue.get() is not None:  # let the producer finish
                    pass

        self.thread = threading.Thread(target=work, name="synth-copy", daemon=True)
        self.thread.start()

    def commit(self) -> None:
        if getattr(self, "thread", None) is not None:
            self._check()
            self.queue.put("commit")

    def finish(self) -> None:
        """Wait for the background connection to store and commit everything."""
        if getattr(self, "thread", None) is None:
            return
        self.flush()
        self.queue.put(None)
        self.thread.join()
        self.thread = None
        self._check()

    def _check(self) -> None:
        if self.error is not None:
            raise RuntimeError(f"synth: writing failed: {self.error}") from self.error

    def flush(self, model=None) -> None:
        models_ = [model] if model is not None else list(self.tables)
        for each in models_:
            table = self.tables[each]
            if not table.rows:
                continue
            label = each._meta.label
            self.counts[label] = self.counts.get(label, 0) + len(table.rows)
            if self.dry_run:
                pass
            elif getattr(self, "thread", None) is not None:
                self._check()
                json_at = [i for i, c in enumerate(table.converters) if c is not None]
                self.queue.put((table.copy_sql, table.rows, json_at))
            else:
                self._write(table)
            table.rows = []

    def _write(self, table: Table) -> None:
        with connection.cursor() as cursor:
            if self.postgres:
                converters = table.converters
                json_at = [i for i, c in enumerate(converters) if c is not None]
                raw = cursor.cursor  # the psycopg cursor under Django's wrapper
                with raw.copy(table.copy_sql) as copy:
                    for row in table.rows:
                        if json_at:
                            row = list(row)
                            for i in json_at:
                                row[i] = _json(row[i])
                        copy.write_row(row)
            else:
                converters = table.converters
                prepared = [
                    tuple(c(v) for c, v in zip(converters, row, strict=True)) for row in table.rows
                ]
                cursor.executemany(table.insert_sql, prepared)

    def reset_sequences(self, extra=()) -> None:
        """Point each table's id sequence past the keys written here."""
        if self.dry_run:
            return
        statements = connection.ops.sequence_reset_sql(no_style(), [*self.tables, *extra])
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)

    def hexdigest(self) -> str | None:
        return self.digest.hexdigest() if self.digest is not None else None
