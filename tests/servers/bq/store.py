"""Persistent state of the fake BigQuery server: datasets, tables, jobs,
upload sessions.

Layout under the state folder (every JSON file written to a temporary
name, fsynced and renamed):

    datasets/P/D.json           dataset resource
    tables/P/D/T.json           table: schema, list of segments
    segments/ID.ndjson          rows of one committed load, as received
    jobs/P/JOBID.json           job resource plus private "_x" fields
    jobdata/P/JOBID.data        the job's uploaded bytes until it ran
    sessions/UPLOADID.json      resumable upload session (+ .data)
    commits.log                 one JSON line per committed write

A table's contents are a list of immutable segments, so committing a
load, truncating or copying is one rename of the table file: a reader
(or a crash) sees the old table or the new one, never a mixture.
"""

import gzip
import hashlib
import json
import os
import re
import secrets
import threading
import time
import zlib

from . import rows as R

PROJECT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.:_-]{0,127}$")
DATASET_RE = re.compile(r"^[A-Za-z0-9_]{1,1024}$")
TABLE_RE = re.compile(r"^[A-Za-z0-9_-]{1,1024}$")
JOB_RE = re.compile(r"^[A-Za-z0-9_-]{1,1024}$")
MAX_ERRORS_LISTED = 5


def now_ms():
    return str(int(time.time() * 1000))


def fname(ident):
    """A file name for an id (ids over 200 bytes are hashed)."""
    if len(ident) <= 200:
        return ident
    return "h-" + hashlib.sha256(ident.encode()).hexdigest()


def write_atomic(path, data, mode=0o600):
    d = os.path.dirname(path)
    os.makedirs(d, mode=0o700, exist_ok=True)
    tmp = "%s.tmp.%d.%d" % (path, os.getpid(), threading.get_ident())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_json(path, obj):
    write_atomic(path, json.dumps(obj, ensure_ascii=False,
                                  sort_keys=True).encode("utf-8"))


def read_json(path):
    try:
        with open(path, "rb") as f:
            return json.loads(f.read().decode("utf-8"))
    except FileNotFoundError:
        return None


class ApiError(Exception):
    """An HTTP error answered in Google's JSON error shape."""

    STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED",
              403: "PERMISSION_DENIED", 404: "NOT_FOUND",
              409: "ALREADY_EXISTS", 429: "RESOURCE_EXHAUSTED",
              500: "INTERNAL", 503: "UNAVAILABLE"}

    def __init__(self, code, reason, message, status=None, extra=None):
        Exception.__init__(self, message)
        self.code = code
        self.reason = reason
        self.message = message
        self.status = status or self.STATUS.get(code, "UNKNOWN")
        self.extra = extra or {}

    def body(self):
        e = {"message": self.message, "domain": "global",
             "reason": self.reason}
        e.update(self.extra)
        return {"error": {"code": self.code, "message": self.message,
                          "errors": [e], "status": self.status}}


def invalid(msg):
    return ApiError(400, "invalid", msg)


def not_found(msg):
    return ApiError(404, "notFound", "Not found: " + msg)


class JobFailed(Exception):
    """Ends a job with an errorResult (and optional errors list)."""

    def __init__(self, reason, message, errors=None, stats=None):
        Exception.__init__(self, message)
        self.reason = reason
        self.message = message
        self.errors = errors
        self.stats = stats or {}


class State:
    def __init__(self, root, job_polls=1, job_seconds=5.0):
        self.root = root
        self.lock = threading.RLock()
        self.job_polls = job_polls
        self.job_seconds = job_seconds
        self.cache = {}         # segment id -> list of cells
        self.pending = {}       # (project, job id) -> creation time
        for d in ("datasets", "tables", "segments", "jobs", "jobdata",
                  "sessions", "keys"):
            os.makedirs(os.path.join(root, d), mode=0o700, exist_ok=True)
        for job in self.job_list():
            if job["status"]["state"] != "DONE":
                ref = job["jobReference"]
                self.pending[(ref["projectId"], ref["jobId"])] = \
                    job["_x"]["created"]

    # ---- paths -------------------------------------------------------

    def _p(self, *parts):
        return os.path.join(self.root, *parts)

    def ds_path(self, p, d):
        return self._p("datasets", fname(p), fname(d) + ".json")

    def tb_path(self, p, d, t):
        return self._p("tables", fname(p), fname(d), fname(t) + ".json")

    def job_path(self, p, j):
        return self._p("jobs", fname(p), fname(j) + ".json")

    def jobdata_path(self, p, j):
        return self._p("jobdata", fname(p), fname(j) + ".data")

    @staticmethod
    def check_ids(p, d=None, t=None, j=None):
        if not PROJECT_RE.match(p or ""):
            raise invalid("Invalid project ID '%s'." % p)
        if d is not None and not DATASET_RE.match(d):
            raise invalid("Invalid dataset ID \"%s\". Dataset IDs must be "
                          "alphanumeric (plus underscores) and must be at "
                          "most 1024 characters long." % d)
        if t is not None and not TABLE_RE.match(t):
            raise invalid("Invalid table ID \"%s\"." % t)
        if j is not None and not JOB_RE.match(j):
            raise invalid("Invalid job ID \"%s\". Job IDs must be "
                          "alphanumeric (plus underscores and dashes) and "
                          "must be at most 1024 characters long." % j)

    # ---- datasets ----------------------------------------------------

    def dataset_get(self, p, d):
        self.check_ids(p, d)
        ds = read_json(self.ds_path(p, d))
        if ds is None:
            raise not_found("Dataset %s:%s" % (p, d))
        return ds

    def dataset_insert(self, p, body):
        ref = body.get("datasetReference") if isinstance(body, dict) \
            else None
        if not isinstance(ref, dict) or not ref.get("datasetId"):
            raise invalid("Required parameter is missing: "
                          "datasetReference.datasetId")
        d = ref["datasetId"]
        if ref.get("projectId", p) != p:
            raise invalid("Project ID in the dataset reference does not "
                          "match the request")
        self.check_ids(p, d)
        loc = body.get("location") or "US"
        if not isinstance(loc, str):
            raise invalid("Invalid value for location")
        with self.lock:
            if os.path.exists(self.ds_path(p, d)):
                raise ApiError(409, "duplicate",
                               "Already Exists: Dataset %s:%s" % (p, d))
            t = now_ms()
            ds = {"kind": "bigquery#dataset",
                  "id": "%s:%s" % (p, d),
                  "etag": secrets.token_urlsafe(12),
                  "datasetReference": {"projectId": p, "datasetId": d},
                  "location": loc, "creationTime": t,
                  "lastModifiedTime": t, "type": "DEFAULT"}
            for k in ("description", "friendlyName", "labels",
                      "defaultTableExpirationMs"):
                if k in body:
                    ds[k] = body[k]
            write_json(self.ds_path(p, d), ds)
        return ds

    def dataset_list(self, p):
        self.check_ids(p)
        base = self._p("datasets", fname(p))
        out = []
        for n in sorted(os.listdir(base)) if os.path.isdir(base) else []:
            if n.endswith(".json"):
                ds = read_json(os.path.join(base, n))
                if ds:
                    out.append(ds)
        return out

    def dataset_delete(self, p, d, contents):
        with self.lock:
            self.dataset_get(p, d)
            tables = self.table_list(p, d)
            if tables and not contents:
                raise ApiError(400, "resourceInUse",
                               "Dataset %s:%s is still in use" % (p, d))
            for t in tables:
                os.unlink(self.tb_path(p, d, t["tableReference"]
                                       ["tableId"]))
            os.unlink(self.ds_path(p, d))

    # ---- tables ------------------------------------------------------

    def table_raw(self, p, d, t):
        self.check_ids(p, d, t)
        return read_json(self.tb_path(p, d, t))

    def table_get(self, p, d, t):
        self.dataset_get(p, d)
        tb = self.table_raw(p, d, t)
        if tb is None:
            raise not_found("Table %s:%s.%s" % (p, d, t))
        return tb

    def table_list(self, p, d):
        self.dataset_get(p, d)
        base = self._p("tables", fname(p), fname(d))
        out = []
        for n in sorted(os.listdir(base)) if os.path.isdir(base) else []:
            if n.endswith(".json"):
                tb = read_json(os.path.join(base, n))
                if tb:
                    out.append(tb)
        return out

    def table_insert(self, p, d, body):
        ref = body.get("tableReference") if isinstance(body, dict) \
            else None
        if not isinstance(ref, dict) or not ref.get("tableId"):
            raise invalid("Required parameter is missing: "
                          "tableReference.tableId")
        t = ref["tableId"]
        with self.lock:
            ds = self.dataset_get(p, d)
            self.check_ids(p, d, t)
            if self.table_raw(p, d, t) is not None:
                raise ApiError(409, "duplicate",
                               "Already Exists: Table %s:%s.%s" % (p, d, t))
            try:
                fields = R.normalize_schema(
                    (body.get("schema") or {}).get("fields", []))
            except R.SchemaError as e:
                raise invalid(str(e))
            tb = self._new_table(p, d, t, ds, fields)
            write_json(self.tb_path(p, d, t), tb)
        return tb

    def table_delete(self, p, d, t):
        with self.lock:
            self.table_get(p, d, t)
            os.unlink(self.tb_path(p, d, t))

    @staticmethod
    def _new_table(p, d, t, ds, fields):
        ms = now_ms()
        return {"kind": "bigquery#table", "id": "%s:%s.%s" % (p, d, t),
                "tableReference": {"projectId": p, "datasetId": d,
                                   "tableId": t},
                "schema": {"fields": fields}, "segments": [],
                "creationTime": ms, "lastModifiedTime": ms,
                "type": "TABLE", "location": ds.get("location", "US")}

    @staticmethod
    def table_view(tb):
        out = {k: v for k, v in tb.items()
               if k not in ("segments", "applied")}
        out["numRows"] = str(sum(s["rows"] for s in tb["segments"]))
        out["numBytes"] = str(sum(s["bytes"] for s in tb["segments"]))
        out["etag"] = hashlib.sha1(json.dumps(
            tb, sort_keys=True).encode()).hexdigest()[:16]
        return out

    def segment_lines(self, seg):
        with open(self._p("segments", seg["id"] + ".ndjson"), "rb") as f:
            data = f.read()
        lines = data.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        return lines

    def segment_cells(self, seg):
        """Canonical cells (by lower-case column name) of a segment."""
        c = self.cache.get(seg["id"])
        if c is not None:
            return c
        fields = seg["schema"]
        out = []
        for line in self.segment_lines(seg):
            cells = R.convert_record(R.parse_line(line), fields, True)
            out.append({f["name"].lower(): v
                        for f, v in zip(fields, cells)})
        if len(self.cache) > 64:
            self.cache.clear()
        self.cache[seg["id"]] = out
        return out

    def table_rows(self, tb):
        """Canonical rows (cell lists in the table's column order)."""
        fields = tb["schema"]["fields"]
        for seg in tb["segments"]:
            for m in self.segment_cells(seg):
                yield [m.get(f["name"].lower(),
                             [] if f["mode"] == "REPEATED" else None)
                       for f in fields]

    # ---- jobs --------------------------------------------------------

    def job_get(self, p, j, location=None, advance=True):
        self.check_ids(p, j=j)
        with self.lock:
            job = read_json(self.job_path(p, j))
            if job is None or (location and location.lower() !=
                               job["jobReference"]["location"].lower()):
                raise not_found("Job %s:%s.%s"
                                % (p, location or "US", j))
            if advance and job["status"]["state"] != "DONE":
                x = job["_x"]
                if x["polls_left"] > 0:
                    x["polls_left"] -= 1
                    job["status"]["state"] = "RUNNING"
                    job["statistics"].setdefault("startTime", now_ms())
                    write_json(self.job_path(p, j), job)
                else:
                    job = self.job_run(job)
            return job

    def job_list(self):
        out = []
        base = self._p("jobs")
        for pd in sorted(os.listdir(base)):
            for n in sorted(os.listdir(os.path.join(base, pd))):
                if n.endswith(".json"):
                    j = read_json(os.path.join(base, pd, n))
                    if j:
                        out.append(j)
        return out

    def job_exists(self, p, j):
        return os.path.exists(self.job_path(p, j))

    def job_insert(self, p, body, data, user, jobfail=False):
        """Creates a job (load when DATA is bytes); returns its resource."""
        if not isinstance(body, dict):
            raise invalid("Invalid job: expected a JSON object")
        conf = body.get("configuration")
        if not isinstance(conf, dict):
            raise invalid("Required parameter is missing: configuration")
        ref = body.get("jobReference") or {}
        if not isinstance(ref, dict):
            raise invalid("Invalid jobReference")
        j = ref.get("jobId") or "job_" + secrets.token_urlsafe(18).replace(
            "-", "_")
        if ref.get("projectId", p) != p:
            raise invalid("Project ID in the job reference does not match "
                          "the request")
        self.check_ids(p, j=j)
        kinds = [k for k in ("load", "copy", "query", "extract")
                 if k in conf]
        if len(kinds) != 1:
            raise invalid("Job configuration must name exactly one of "
                          "load, copy, query, extract")
        kind = kinds[0]
        if kind in ("query", "extract"):
            raise ApiError(400, "invalid", "%s jobs are not supported by "
                           "this fake BigQuery server" % kind)
        if kind == "load" and data is None:
            raise invalid("Load configuration must specify at least one "
                          "source URI")
        if kind == "copy" and data is not None:
            raise invalid("A copy job cannot take uploaded data")
        conf = dict(conf)
        c = conf[kind] = self._check_conf(p, kind, conf[kind])
        dest = c["destinationTable"]
        with self.lock:
            ds = read_json(self.ds_path(dest["projectId"],
                                        dest["datasetId"]))
            loc = ref.get("location") or (ds or {}).get("location") or "US"
            if not isinstance(loc, str):
                raise invalid("Invalid value for jobReference.location")
            if self.job_exists(p, j):
                old = read_json(self.job_path(p, j))
                raise ApiError(409, "duplicate", "Already Exists: Job "
                               "%s:%s.%s" % (p, old["jobReference"]
                                             ["location"], j))
            conf["jobType"] = kind.upper()
            ms = now_ms()
            job = {"kind": "bigquery#job", "etag": secrets.token_urlsafe(12),
                   "id": "%s:%s.%s" % (p, loc, j),
                   "selfLink": "/bigquery/v2/projects/%s/jobs/%s?location=%s"
                   % (p, j, loc),
                   "user_email": user or "",
                   "configuration": conf,
                   "jobReference": {"projectId": p, "jobId": j,
                                    "location": loc},
                   "statistics": {"creationTime": ms},
                   "status": {"state": "PENDING"},
                   "_x": {"polls_left": self.job_polls,
                          "created": time.time(), "jobfail": jobfail,
                          "committed": 0}}
            if data is not None:
                write_atomic(self.jobdata_path(p, j), data)
            write_json(self.job_path(p, j), job)
            self.pending[(p, j)] = job["_x"]["created"]
            if self.job_polls <= 0:
                job = self.job_run(job)
        return job

    def _check_conf(self, p, kind, c):
        if not isinstance(c, dict):
            raise invalid("Invalid %s configuration" % kind)
        c = dict(c)

        def table_ref(name, r):
            if not isinstance(r, dict) or not r.get("datasetId") or \
                    not r.get("tableId"):
                raise invalid("Required parameter is missing: %s" % name)
            r = {"projectId": r.get("projectId") or p,
                 "datasetId": r["datasetId"], "tableId": r["tableId"]}
            self.check_ids(r["projectId"], r["datasetId"], r["tableId"])
            return r

        c["destinationTable"] = table_ref("destinationTable",
                                          c.get("destinationTable"))
        wd_default = "WRITE_APPEND" if kind == "load" else "WRITE_EMPTY"
        c["writeDisposition"] = c.get("writeDisposition") or wd_default
        c["createDisposition"] = c.get("createDisposition") or \
            "CREATE_IF_NEEDED"
        if c["writeDisposition"] not in ("WRITE_TRUNCATE", "WRITE_APPEND",
                                         "WRITE_EMPTY"):
            raise invalid("Invalid value for writeDisposition: %s"
                          % c["writeDisposition"])
        if c["createDisposition"] not in ("CREATE_IF_NEEDED",
                                          "CREATE_NEVER"):
            raise invalid("Invalid value for createDisposition: %s"
                          % c["createDisposition"])
        if kind == "copy":
            srcs = c.get("sourceTables") or ([c["sourceTable"]]
                                             if c.get("sourceTable") else [])
            if not srcs:
                raise invalid("Required parameter is missing: sourceTable")
            refs = [table_ref("sourceTable", s) for s in srcs]
            if "sourceTables" in c:
                c["sourceTables"] = refs
            else:
                c["sourceTable"] = refs[0]
            return c
        fmt = c.get("sourceFormat") or "CSV"
        if fmt != "NEWLINE_DELIMITED_JSON":
            raise invalid("Unsupported sourceFormat %s: this fake loads "
                          "only NEWLINE_DELIMITED_JSON" % fmt)
        if c.get("schema") is not None:
            try:
                c["schema"] = {"fields": R.normalize_schema(
                    (c["schema"] or {}).get("fields"))}
            except (R.SchemaError, AttributeError) as e:
                raise invalid(str(e))
        mbr = c.get("maxBadRecords", 0)
        if isinstance(mbr, str) and mbr.isdigit():
            mbr = int(mbr)
        if not isinstance(mbr, int) or isinstance(mbr, bool) or mbr < 0:
            raise invalid("Invalid value for maxBadRecords")
        c["maxBadRecords"] = mbr
        iuv = c.get("ignoreUnknownValues", False)
        if not isinstance(iuv, bool):
            raise invalid("Invalid value for ignoreUnknownValues")
        if c.get("autodetect"):
            raise invalid("autodetect is not supported by this fake")
        enc = c.get("encoding", "UTF-8")
        if enc not in ("UTF-8", "UTF8"):
            raise invalid("Unsupported encoding %s" % enc)
        return c

    def reap(self):
        """Finishes jobs nobody polled within job_seconds."""
        with self.lock:
            for (p, j), t in list(self.pending.items()):
                if time.time() - t <= self.job_seconds:
                    continue
                job = read_json(self.job_path(p, j))
                if job is None or job["status"]["state"] == "DONE":
                    self.pending.pop((p, j), None)
                    continue
                self.job_run(job)

    def job_run(self, job):
        """Runs a job to DONE (under the lock); returns the new resource."""
        p = job["jobReference"]["projectId"]
        j = job["jobReference"]["jobId"]
        kind = job["configuration"]["jobType"].lower()
        st = job["statistics"]
        st.setdefault("startTime", now_ms())
        job["status"] = {"state": "DONE"}
        try:
            if job["_x"].get("jobfail"):
                raise JobFailed("backendError", "Error encountered during "
                                "execution. Retrying may solve the "
                                "problem.")
            if kind == "load":
                self._run_load(job)
            else:
                self._run_copy(job)
        except JobFailed as e:
            err = {"reason": e.reason, "message": e.message}
            job["status"]["errorResult"] = err
            job["status"]["errors"] = e.errors or [err]
            if e.stats:
                st.update(e.stats)
        st["endTime"] = now_ms()
        job["_x"]["polls_left"] = 0
        write_json(self.job_path(p, j), job)
        self.pending.pop((p, j), None)
        try:
            os.unlink(self.jobdata_path(p, j))
        except OSError:
            pass
        return job

    def _dest(self, job, c):
        """(dataset, table or None) for a job's destination, checked."""
        dest = c["destinationTable"]
        p, d, t = dest["projectId"], dest["datasetId"], dest["tableId"]
        ds = read_json(self.ds_path(p, d))
        if ds is None:
            raise JobFailed("notFound", "Not found: Dataset %s:%s" % (p, d))
        loc = job["jobReference"]["location"]
        if ds.get("location", "US").lower() != loc.lower():
            raise JobFailed("notFound", "Not found: Dataset %s:%s was not "
                            "found in location %s" % (p, d, loc))
        tb = read_json(self.tb_path(p, d, t))
        if tb is None and c["createDisposition"] == "CREATE_NEVER":
            raise JobFailed("notFound", "Not found: Table %s:%s.%s"
                            % (p, d, t))
        if tb is not None and c["writeDisposition"] == "WRITE_EMPTY" and \
                any(s["rows"] for s in tb["segments"]):
            raise JobFailed("duplicate", "Already Exists: Table %s:%s.%s"
                            % (p, d, t))
        return ds, tb

    def _run_load(self, job):
        p = job["jobReference"]["projectId"]
        j = job["jobReference"]["jobId"]
        c = job["configuration"]["load"]
        if self._already_applied(job, c):
            return
        ds, tb = self._dest(job, c)
        if c.get("schema"):
            fields = c["schema"]["fields"]
        elif tb is not None:
            fields = tb["schema"]["fields"]
        else:
            raise JobFailed("invalid", "No schema specified on job or "
                            "table.")
        if tb is not None and c["writeDisposition"] == "WRITE_APPEND":
            m = R.schema_mismatch(tb["schema"]["fields"], fields)
            if m:
                raise JobFailed("invalid", m)
        try:
            with open(self.jobdata_path(p, j), "rb") as f:
                raw = f.read()
        except OSError:
            raise JobFailed("internalError", "The job's data was lost")
        data = self._decompress(raw)
        good, bad, errors, nrows = self._validate(data, fields, c)
        stats = {"load": {"inputFiles": "1",
                          "inputFileBytes": str(len(raw)),
                          "outputRows": "0", "outputBytes": "0",
                          "badRecords": str(bad)}}
        if bad > c["maxBadRecords"]:
            summary = ("Error while reading data, error message: JSON "
                       "table encountered too many errors, giving up. "
                       "Rows: %d; errors: %d. Please look into the "
                       "errors[] collection for more details." %
                       (nrows, bad))
            lst = [{"reason": "invalid", "message": summary}] + errors
            raise JobFailed("invalid", summary, lst, stats)
        payload = b"".join(line + b"\n" for line in good)
        self._commit(job, ds, tb, c, fields,
                     [self._segment_new(payload, len(good), fields)])
        stats["load"]["outputRows"] = str(len(good))
        stats["load"]["outputBytes"] = str(len(payload))
        job["statistics"].update(stats)
        if errors:
            job["status"]["errors"] = errors

    @staticmethod
    def _decompress(raw):
        if raw[:2] != b"\x1f\x8b":
            return raw
        try:
            out = []
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            rest = raw
            while rest:
                out.append(d.decompress(rest))
                if not d.eof:
                    raise zlib.error("truncated")
                rest = d.unused_data
                d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            return b"".join(out)
        except (zlib.error, EOFError, gzip.BadGzipFile):
            raise JobFailed("invalid", "Error while reading data, error "
                            "message: Input GZIP file is corrupt or "
                            "truncated.")

    @staticmethod
    def _validate(data, fields, c):
        """(good lines, bad count, error protos, rows read)."""
        good, errors = [], []
        bad = 0
        pos = 0
        n = 0
        iuv = c.get("ignoreUnknownValues", False)
        for line in data.split(b"\n"):
            start = pos
            pos += len(line) + 1
            if not line.strip():
                continue
            n += 1
            try:
                R.convert_record(R.parse_line(line), fields, iuv)
                good.append(line)
            except R.RowError as e:
                bad += 1
                if len(errors) < MAX_ERRORS_LISTED:
                    errors.append({
                        "reason": "invalid", "location": "row %d" % n,
                        "message": "Error while reading data, error "
                        "message: JSON parsing error in row starting at "
                        "position %d: %s" % (start, e)})
                if bad > c["maxBadRecords"]:
                    break
        return good, bad, errors, n

    def _segment_new(self, payload, nrows, fields):
        sid = "%d-%s" % (time.time_ns(), secrets.token_hex(6))
        write_atomic(self._p("segments", sid + ".ndjson"), payload)
        return {"id": sid, "rows": nrows, "bytes": len(payload),
                "schema": fields,
                "sha256": hashlib.sha256(payload).hexdigest()}

    def _commit(self, job, ds, tb, c, fields, segs):
        dest = c["destinationTable"]
        p, d, t = dest["projectId"], dest["datasetId"], dest["tableId"]
        if tb is None:
            tb = self._new_table(p, d, t, ds, fields)
        if c["writeDisposition"] == "WRITE_APPEND":
            tb["segments"] = tb["segments"] + segs
        else:
            tb["segments"] = segs
            tb["schema"] = {"fields": fields}
        tb["lastModifiedTime"] = now_ms()
        rows = sum(s["rows"] for s in segs)
        nbytes = sum(s["bytes"] for s in segs)
        if job["configuration"]["jobType"] == "LOAD":
            rec = {"load": {"outputRows": str(rows),
                            "outputBytes": str(nbytes)}}
        else:
            rec = {"copy": {"copiedRows": str(rows),
                            "copiedLogicalBytes": str(nbytes)}}
        tb.setdefault("applied", {})[job["jobReference"]["jobId"]] = rec
        write_json(self.tb_path(p, d, t), tb)
        job["_x"]["committed"] += 1
        line = {"time": time.time(),
                "job": job["jobReference"]["jobId"],
                "type": job["configuration"]["jobType"],
                "table": "%s:%s.%s" % (p, d, t),
                "disposition": c["writeDisposition"],
                "rows": sum(s["rows"] for s in segs),
                "sha256": [s["sha256"] for s in segs]}
        with open(self._p("commits.log"), "a") as f:
            f.write(json.dumps(line) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def _already_applied(self, job, c):
        """True when a crash hit between committing JOB and recording it
        as DONE: the table names the jobs it holds, so a restarted server
        finishes such a job without writing its rows a second time."""
        dest = c["destinationTable"]
        tb = read_json(self.tb_path(dest["projectId"], dest["datasetId"],
                                    dest["tableId"]))
        rec = (tb or {}).get("applied", {}).get(
            job["jobReference"]["jobId"])
        if rec is None:
            return False
        job["statistics"].update(rec)
        job["_x"]["committed"] += 1
        return True

    def _run_copy(self, job):
        c = job["configuration"]["copy"]
        if self._already_applied(job, c):
            return
        srcs = c.get("sourceTables") or [c["sourceTable"]]
        tables = []
        for s in srcs:
            tb = read_json(self.tb_path(s["projectId"], s["datasetId"],
                                        s["tableId"]))
            if tb is None:
                raise JobFailed("notFound", "Not found: Table %s:%s.%s"
                                % (s["projectId"], s["datasetId"],
                                   s["tableId"]))
            tables.append(tb)
        fields = tables[0]["schema"]["fields"]
        for tb in tables[1:]:
            if R.schema_signature(tb["schema"]["fields"]) != \
                    R.schema_signature(fields):
                raise JobFailed("invalid", "Source tables of a copy job "
                                "must have the same schema")
        ds, dtb = self._dest(job, c)
        if dtb is not None and c["writeDisposition"] == "WRITE_APPEND":
            m = R.schema_mismatch(dtb["schema"]["fields"], fields)
            if m:
                raise JobFailed("invalid", m)
        segs = [s for tb in tables for s in tb["segments"]]
        self._commit(job, ds, dtb, c, fields, segs)
        rows = sum(s["rows"] for s in segs)
        job["statistics"]["copy"] = {
            "copiedRows": str(rows),
            "copiedLogicalBytes": str(sum(s["bytes"] for s in segs))}

    # ---- resumable sessions -----------------------------------------

    def session_new(self, p, body, total):
        sid = secrets.token_urlsafe(24)
        s = {"id": sid, "project": p, "body": body, "total": total,
             "received": 0, "job": None, "created": time.time()}
        with self.lock:
            write_atomic(self._p("sessions", sid + ".data"), b"")
            write_json(self._p("sessions", sid + ".json"), s)
        return s

    def session_get(self, sid):
        if not re.match(r"^[A-Za-z0-9_-]{1,100}$", sid or ""):
            return None
        return read_json(self._p("sessions", sid + ".json"))

    def session_save(self, s):
        write_json(self._p("sessions", s["id"] + ".json"), s)

    def session_append(self, s, chunk):
        path = self._p("sessions", s["id"] + ".data")
        with open(path, "r+b") as f:
            f.seek(s["received"])
            f.write(chunk)
            f.truncate()
            f.flush()
            os.fsync(f.fileno())
        s["received"] += len(chunk)
        self.session_save(s)

    def session_data(self, s):
        try:
            with open(self._p("sessions", s["id"] + ".data"), "rb") as f:
                return f.read()
        except FileNotFoundError:
            # Dropped after a 409 at the end: the answer stays 409.
            return b""

    def session_drop_data(self, s):
        try:
            os.unlink(self._p("sessions", s["id"] + ".data"))
        except OSError:
            pass
