"""HTTP front of the fake BigQuery server: routing, uploads, faults, log."""

import base64
import json
import os
import re
import socket
import struct
import sys
import threading
import time
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import partial
from . import rows as R
from .auth import Auth, GrantError
from .faults import Faults, FaultError
from .store import ApiError, State, invalid, not_found, read_json

CHUNK = 262144                  # resumable chunks come in multiples of it
MAX_BODY = 1 << 30
SECRET_PARAMS = ("access_token", "key", "assertion", "token")


class Reset(Exception):
    """Drop the connection without a (complete) answer."""


class Reply:
    def __init__(self, code, body=None, headers=None, job=None):
        self.code = code
        self.headers = dict(headers or {})
        self.job = job
        self.obj = None
        self.data = None
        if body is None:
            self.data = b""
        elif isinstance(body, bytes):
            self.data = body
        else:
            self.obj = body         # made into bytes by render()
            self.headers.setdefault("Content-Type",
                                    "application/json; charset=UTF-8")

    def render(self, fields=None, pretty=False):
        """the JSON body with only what fields selects; indented if
        pretty (Google's APIs indent unless told prettyPrint=false)"""
        if self.data is not None:
            return
        obj = partial.select(self.obj, fields)
        if pretty:
            text = json.dumps(obj, ensure_ascii=False, indent=2) + "\n"
        else:
            text = json.dumps(obj, ensure_ascii=False,
                              separators=(",", ":"))
        self.data = text.encode("utf-8")


class _Raw(ApiError):
    """Carries a ready reply (the 401 with its headers) out of a route."""

    def __init__(self, reply):
        ApiError.__init__(self, reply.code, "raw", "")
        self.reply = reply


def public_job(job):
    return {k: v for k, v in job.items() if k != "_x"}


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, addr, opts):
        self.opts = opts
        self.state = State(opts.state, opts.job_polls, opts.job_seconds)
        self.auth = Auth(opts.state, opts.token_ttl, opts.accept_google_aud)
        self.faults = Faults(opts.faults or "", opts.seed)
        self.log_lock = threading.Lock()
        self.log_path = os.path.join(opts.state, "requests.log")
        self.counts = {}
        ThreadingHTTPServer.__init__(self, addr, Handler)

    def log_request_line(self, rec):
        line = json.dumps(rec, ensure_ascii=False) + "\n"
        with self.log_lock:
            k = str(rec.get("status"))
            self.counts[k] = self.counts.get(k, 0) + 1
            with open(self.log_path, "a") as f:
                f.write(line)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ESF"
    sys_version = ""
    timeout = 120

    def version_string(self):
        return "ESF"

    def log_message(self, fmt, *args):
        if self.server.opts.verbose:
            sys.stderr.write("bigquery-server: %s\n" % (fmt % args))

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_GET

    # ---- plumbing ----------------------------------------------------

    def read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            out = []
            total = 0
            while True:
                line = self.rfile.readline(1024)
                if not line:
                    raise Reset()
                try:
                    n = int(line.split(b";")[0].strip(), 16)
                except ValueError:
                    self.close_connection = True
                    raise ApiError(400, "badRequest", "Bad chunked body")
                if n == 0:
                    while True:
                        t = self.rfile.readline(8192)
                        if t in (b"\r\n", b"\n", b""):
                            break
                    return b"".join(out)
                total += n
                if total > MAX_BODY:
                    raise ApiError(413, "tooLarge", "Request too large")
                data = self.rfile.read(n)
                if len(data) != n:
                    raise Reset()
                out.append(data)
                self.rfile.readline(16)
        cl = self.headers.get("Content-Length")
        if cl is None:
            return b""
        try:
            n = int(cl)
        except ValueError:
            n = -1
        if n < 0:
            self.close_connection = True
            raise ApiError(400, "badRequest", "Bad Content-Length")
        if n > MAX_BODY:
            self.close_connection = True
            raise ApiError(413, "tooLarge", "Request too large")
        data = self.rfile.read(n)
        if len(data) != n:
            raise Reset()
        return data

    def send(self, r):
        self.send_response(r.code)
        for k, v in r.headers.items():
            self.send_header(k, v)
        if r.code != 204 and r.code != 304:
            self.send_header("Content-Length", str(len(r.data)))
        else:
            self.send_header("Content-Length", "0")
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and r.code != 204:
            self.wfile.write(r.data)
        self.wfile.flush()

    def reset(self, partial=False):
        """Closes the socket with a RST, maybe after half an answer."""
        try:
            if partial:
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: "
                                 b"application/json\r\nContent-Length: "
                                 b"4096\r\n\r\n{\"kind\":\"bigquery#")
                self.wfile.flush()
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.rfile.close()
            self.connection.close()
        except OSError:
            pass
        self.close_connection = True

    def dispatch(self):
        t0 = time.time()
        srv = self.server
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        self.q = {k: v[-1] for k, v in
                  urllib.parse.parse_qs(url.query,
                                        keep_blank_values=True).items()}
        rec = {"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "method": self.command, "path": path,
               "query": {k: v for k, v in self.q.items()
                         if k not in SECRET_PARAMS}}
        internal = path.startswith("/_")
        fault = None if internal else srv.faults.draw(self.command, path)
        rec["fault"] = fault
        self.fault = fault
        reply = None
        api = not internal and path != "/token"
        fields = None
        try:
            if fault == "resetbefore" or (fault == "reset" and
                                         srv.faults.coin() < 0.5):
                rec["fault"] = "resetbefore"
                raise Reset()
            body = self.read_body()
            rec["bytes_in"] = len(body)
            if api and self.q.get("fields"):
                try:
                    fields = partial.parse(self.q["fields"])
                except partial.FieldsError as e:
                    raise ApiError(400, "invalidParameter", str(e))
            if fault == "slow":
                time.sleep(srv.faults.cfg["slow"])
            reply = self.fault_reply(fault)
            if reply is None:
                reply = self.route(path, body)
        except Reset:
            self.reset()
            rec.update(status="reset", ms=int((time.time() - t0) * 1000))
            srv.log_request_line(rec)
            return
        except _Raw as r:
            reply = r.reply
        except ApiError as e:
            reply = Reply(e.code, e.body())
        except (socket.timeout, ConnectionError):
            self.close_connection = True
            return
        except Exception:
            traceback.print_exc(file=sys.stderr)
            reply = Reply(500, ApiError(500, "internalError",
                                        "Internal error in the fake "
                                        "server").body())
        reply.render(fields if reply.code < 300 else None,
                     api and self.q.get("prettyPrint", "true") != "false")
        if reply.job:
            rec["job"] = reply.job
        rec["status"] = reply.code
        rec["bytes_out"] = len(reply.data)
        rec["ms"] = int((time.time() - t0) * 1000)
        if fault in ("reset", "resetafter"):
            # The request took effect; the answer is lost on the way.
            rec["fault"] = "resetafter"
            rec["status"] = "reset-after-%d" % reply.code
            srv.log_request_line(rec)
            self.reset(partial=True)
            return
        srv.log_request_line(rec)
        try:
            self.send(reply)
        except (OSError, ConnectionError):
            self.close_connection = True

    def fault_reply(self, fault):
        if fault in ("5xx", "500", "503"):
            code = int(fault) if fault != "5xx" else \
                (500 if self.server.faults.coin() < 0.5 else 503)
            return Reply(code, ApiError(code, "backendError",
                                        "Backend error. Please try again."
                                        ).body())
        if fault == "504":
            return Reply(504, ApiError(504, "backendError",
                                       "Deadline exceeded").body())
        if fault == "502":
            return Reply(502, b"<!DOCTYPE html><html><title>Error 502 "
                         b"(Server Error)</title><p>502. That's an "
                         b"error.</html>",
                         {"Content-Type": "text/html; charset=UTF-8"})
        if fault == "429":
            return Reply(429, ApiError(429, "rateLimitExceeded",
                                       "Exceeded rate limits: too many "
                                       "api requests per user per method "
                                       "for this user_method.").body(),
                         {"Retry-After": "1"})
        if fault == "403rate":
            return Reply(403, ApiError(403, "rateLimitExceeded",
                                       "Exceeded rate limits: too many "
                                       "table update operations for this "
                                       "table.").body())
        if fault == "quota":
            return Reply(403, ApiError(403, "quotaExceeded",
                                       "Quota exceeded: Your table "
                                       "exceeded quota for imports or "
                                       "query appends per table.").body())
        return None

    # ---- routing -----------------------------------------------------

    def route(self, path, body):
        m = self.command
        if path.startswith("/_"):
            return self.route_test(path, body)
        if path == "/token" and m == "POST":
            return self.token(body)
        if path.startswith("/upload/bigquery/v2/projects/"):
            parts = path[len("/upload/bigquery/v2/projects/"):].split("/")
            if len(parts) == 2 and parts[1] == "jobs":
                return self.upload(parts[0], body)
            raise not_found("URL %s" % path)
        if path.startswith("/bigquery/v2/"):
            path = path[len("/bigquery/v2"):]
        parts = [urllib.parse.unquote(p) for p in path.split("/")[1:]]
        if len(parts) < 2 or parts[0] != "projects":
            raise not_found("URL %s" % path)
        self.require_auth()
        return self.route_api(m, parts[1], parts[2:], body)

    def require_auth(self):
        bad = self.server.auth.check(self.headers.get("Authorization"))
        if bad is None:
            return
        reason, msg = bad
        if reason == "required":
            text = ("Request is missing required authentication "
                    "credential. Expected OAuth 2 access token, login "
                    "cookie or other valid authentication credential.")
        else:
            text = ("Request had invalid authentication credentials. "
                    "Expected OAuth 2 access token, login cookie or other "
                    "valid authentication credential.")
        e = ApiError(401, reason, text, "UNAUTHENTICATED",
                     {"location": "Authorization",
                      "locationType": "header"})
        e.message = text
        body = e.body()
        body["error"]["errors"][0]["message"] = msg
        raise _Raw(Reply(401, body, {
            "WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'
            + ("" if reason == "required" else ', error="invalid_token"')}))

    def json_body(self, body):
        try:
            obj = json.loads(body.decode("utf-8") or "{}")
        except (UnicodeDecodeError, ValueError) as e:
            raise ApiError(400, "parseError", "Parse error: %s" % e)
        if not isinstance(obj, dict):
            raise ApiError(400, "parseError", "Expected a JSON object")
        return obj

    def route_api(self, m, p, rest, body):
        st = self.server.state
        n = len(rest)
        if n >= 1 and rest[0] == "datasets":
            if n == 1 and m == "GET":
                return self.list_reply("bigquery#datasetList", "datasets",
                                       [self.ds_short(d)
                                        for d in st.dataset_list(p)])
            if n == 1 and m == "POST":
                return Reply(200, st.dataset_insert(p,
                                                    self.json_body(body)))
            d = rest[1]
            if n == 2 and m == "GET":
                return Reply(200, st.dataset_get(p, d))
            if n == 2 and m == "DELETE":
                st.dataset_delete(p, d, self.q.get("deleteContents")
                                  == "true")
                return Reply(204)
            if n == 3 and rest[2] == "tables" and m == "GET":
                tl = [self.tb_short(t) for t in st.table_list(p, d)]
                r = self.list_reply("bigquery#tableList", "tables", tl)
                return r
            if n == 3 and rest[2] == "tables" and m == "POST":
                tb = st.table_insert(p, d, self.json_body(body))
                return Reply(200, st.table_view(tb))
            if n >= 4 and rest[2] == "tables":
                t = rest[3]
                if n == 4 and m == "GET":
                    return Reply(200, st.table_view(st.table_get(p, d, t)))
                if n == 4 and m == "DELETE":
                    st.table_delete(p, d, t)
                    return Reply(204)
                if n == 5 and rest[4] == "data" and m == "GET":
                    return self.tabledata(st.table_get(p, d, t))
        if n >= 1 and rest[0] == "jobs":
            if n == 1 and m == "POST":
                return self.job_insert(p, self.json_body(body), None)
            if n == 1 and m == "GET":
                jobs = [public_job(j) for j in st.job_list()
                        if j["jobReference"]["projectId"] == p]
                return self.list_reply("bigquery#jobList", "jobs", jobs)
            if n == 2 and m == "GET":
                job = st.job_get(p, rest[1], self.q.get("location"))
                return Reply(200, public_job(job), job=rest[1])
            if n == 3 and rest[2] == "cancel" and m == "POST":
                job = st.job_get(p, rest[1], self.q.get("location"),
                                 advance=False)
                return Reply(200, {"kind": "bigquery#jobCancelResponse",
                                   "job": public_job(job)}, job=rest[1])
        raise not_found("URL /projects/%s/%s" % (p, "/".join(rest)))

    @staticmethod
    def ds_short(d):
        return {"kind": "bigquery#dataset", "id": d["id"],
                "datasetReference": d["datasetReference"],
                "location": d.get("location", "US")}

    @staticmethod
    def tb_short(t):
        return {"kind": "bigquery#table", "id": t["id"],
                "tableReference": t["tableReference"], "type": "TABLE",
                "creationTime": t["creationTime"]}

    def list_reply(self, kind, key, items):
        """A paged list answer (maxResults/pageToken)."""
        start, size = self.page_args(len(items), 1000)
        out = {"kind": kind, "etag": "e%d" % len(items)}
        page = items[start:start + size]
        if page:
            out[key] = page
        if key == "tables":
            out["totalItems"] = len(items)
        if start + size < len(items):
            out["nextPageToken"] = self.token_for(start + size)
        return Reply(200, out)

    def page_args(self, total, default):
        start = 0
        tok = self.q.get("pageToken")
        if tok:
            try:
                start = int(base64.urlsafe_b64decode(
                    tok + "=" * (-len(tok) % 4)).decode().split(":")[1])
            except (ValueError, IndexError, UnicodeDecodeError):
                raise invalid("Invalid page token: %s" % tok)
        elif self.q.get("startIndex"):
            try:
                start = int(self.q["startIndex"])
            except ValueError:
                raise invalid("Invalid value for startIndex")
        size = default
        if self.q.get("maxResults"):
            try:
                size = int(self.q["maxResults"])
            except ValueError:
                raise invalid("Invalid value for maxResults")
            if size <= 0:
                size = default
        return max(start, 0), size

    @staticmethod
    def token_for(offset):
        return base64.urlsafe_b64encode(
            ("o:%d" % offset).encode()).decode().rstrip("=")

    def tabledata(self, tb):
        st = self.server.state
        fields = tb["schema"]["fields"]
        allrows = list(st.table_rows(tb))
        start, size = self.page_args(len(allrows), 100000)
        fmt = self.q.get("formatOptions.timestampOutputFormat")
        if fmt not in ("INT64", "ISO8601_STRING", "FLOAT64"):
            fmt = "INT64" if self.q.get(
                "formatOptions.useInt64Timestamp") == "true" else "FLOAT64"
        sel = self.q.get("selectedFields")
        idx = list(range(len(fields)))
        if sel:
            names = {s.strip().lower() for s in sel.split(",")}
            idx = [i for i, f in enumerate(fields)
                   if f["name"].lower() in names]
        sub = [fields[i] for i in idx]
        out = {"kind": "bigquery#tableDataList",
               "etag": st.table_view(tb)["etag"],
               "totalRows": str(len(allrows))}
        page = allrows[start:start + size]
        if page:
            out["rows"] = [R.fv_cells([r[i] for i in idx], sub, fmt)
                           for r in page]
        if start + size < len(allrows):
            out["pageToken"] = self.token_for(start + size)
        return Reply(200, out)

    # ---- jobs and uploads -------------------------------------------

    def job_insert(self, p, meta, data):
        st = self.server.state
        email = self.server.auth.email_for(
            self.headers.get("Authorization") or "")
        job = st.job_insert(p, meta, data, email,
                            jobfail=self.fault == "jobfail")
        return Reply(200, public_job(job), job=job["jobReference"]["jobId"])

    def upload(self, p, body):
        kind = self.q.get("uploadType")
        if self.command == "PUT" and kind == "resumable":
            return self.resumable_put(body)
        if self.command != "POST":
            raise not_found("URL")
        self.require_auth()
        if kind == "multipart":
            meta, data = self.multipart(body)
            return self.job_insert(p, meta, data)
        if kind == "resumable":
            return self.resumable_start(p, body)
        if kind == "media":
            raise invalid("uploadType=media needs job metadata; use "
                          "multipart or resumable")
        raise invalid("Invalid value for uploadType: %s" % kind)

    def multipart(self, body):
        ctype = self.headers.get("Content-Type") or ""
        m = re.match(r'^\s*multipart/(related|mixed)\s*;(.*)$', ctype, re.I)
        b = None
        if m:
            for param in m.group(2).split(";"):
                k, _, v = param.strip().partition("=")
                if k.strip().lower() == "boundary":
                    b = v.strip().strip('"')
        if not b:
            raise invalid("Multipart upload needs Content-Type "
                          "multipart/related with a boundary")
        delim = b"--" + b.encode("latin-1")
        if body.startswith(delim):
            body = b"\r\n" + body
        pieces = body.split(b"\r\n" + delim)
        parts = []
        for piece in pieces[1:]:
            if piece.startswith(b"--"):
                break
            if piece.startswith(b"\r\n"):
                piece = piece[2:]
            elif piece.startswith(b"\n"):
                piece = piece[1:]
            else:
                raise invalid("Malformed multipart body")
            head, sep, content = piece.partition(b"\r\n\r\n")
            if not sep:
                head, sep, content = piece.partition(b"\n\n")
                if not sep:
                    if piece.startswith(b"\r\n"):
                        head, content = b"", piece[2:]
                    else:
                        raise invalid("Malformed multipart part")
            parts.append((head, content))
        else:
            raise invalid("Malformed multipart body: no closing boundary")
        if len(parts) != 2:
            raise invalid("Multipart upload must have exactly two parts "
                          "(metadata and media), got %d" % len(parts))
        meta = self.json_body(parts[0][1])
        return meta, parts[1][1]

    def resumable_start(self, p, body):
        st = self.server.state
        meta = self.json_body(body)
        total = self.headers.get("X-Upload-Content-Length")
        if total is not None:
            try:
                total = int(total)
            except ValueError:
                raise invalid("Bad X-Upload-Content-Length")
        # Check the job now, so that a bad configuration (or a job id
        # that exists) is refused before any data is sent.
        conf = meta.get("configuration")
        if not isinstance(conf, dict) or "load" not in conf:
            raise invalid("Resumable upload needs a load configuration")
        st._check_conf(p, "load", conf["load"])
        ref = meta.get("jobReference") or {}
        if isinstance(ref, dict) and ref.get("jobId"):
            st.check_ids(p, j=ref["jobId"])
            if st.job_exists(p, ref["jobId"]):
                old = read_json(st.job_path(p, ref["jobId"]))
                raise ApiError(409, "duplicate", "Already Exists: Job "
                               "%s:%s.%s" % (p, old["jobReference"]
                                             ["location"], ref["jobId"]))
        s = st.session_new(p, meta, total)
        host = self.headers.get("Host") or \
            "127.0.0.1:%d" % self.server.server_address[1]
        loc = ("http://%s/upload/bigquery/v2/projects/%s/jobs?"
               "uploadType=resumable&upload_id=%s" % (host, p, s["id"]))
        return Reply(200, b"", {"Location": loc,
                                "X-GUploader-UploadID": s["id"]})

    def resumable_put(self, body):
        st = self.server.state
        with st.lock:
            s = st.session_get(self.q.get("upload_id"))
            if s is None:
                raise ApiError(404, "notFound", "No such upload session")
            if s.get("job"):
                job = st.job_get(s["project"], s["job"], advance=False)
                return Reply(200, public_job(job), job=s["job"])
            cr = self.headers.get("Content-Range")
            if cr is None:
                first, last, total = 0, len(body) - 1, len(body)
                if s["received"]:
                    raise invalid("Content-Range is required after the "
                                  "first chunk")
            else:
                m = re.match(r"^\s*bytes\s+(?:\*|(\d+)-(\d+))/(\*|\d+)\s*$",
                             cr)
                if not m:
                    raise invalid("Malformed Content-Range: %s" % cr)
                total = None if m.group(3) == "*" else int(m.group(3))
                if m.group(1) is None:
                    if body:
                        raise invalid("Content-Range bytes */N must come "
                                      "with an empty body")
                    first = last = None
                else:
                    first, last = int(m.group(1)), int(m.group(2))
                    if last < first or last - first + 1 != len(body):
                        raise invalid("Content-Range %s does not match "
                                      "the %d bytes sent" % (cr,
                                                             len(body)))
            if total is not None:
                if s["total"] is not None and s["total"] != total:
                    raise invalid("Content-Range total %d differs from "
                                  "the upload's length %d"
                                  % (total, s["total"]))
                if last is not None and last + 1 > total:
                    raise invalid("Content-Range beyond the stated "
                                  "total")
            if first is not None and first > s["received"]:
                raise invalid("Invalid request. According to the "
                              "Content-Range header, the upload offset is "
                              "%d byte(s), which exceeds already uploaded "
                              "size of %d byte(s)." % (first,
                                                       s["received"]))
            if first is not None:
                new = body[s["received"] - first:]
                end = first + len(body)
                final = total is not None and end == total
                if not final:
                    keep = max(s["received"], end - end % CHUNK)
                    if self.fault == "short" and keep - CHUNK >= \
                            s["received"]:
                        keep -= CHUNK
                    new = new[:keep - s["received"]]
                if new:
                    st.session_append(s, new)
            if total is not None and s["received"] == total:
                return self.resumable_finish(s)
            h = {}
            if s["received"] > 0:
                h["Range"] = "bytes=0-%d" % (s["received"] - 1)
            return Reply(308, b"", h)

    def resumable_finish(self, s):
        st = self.server.state
        data = st.session_data(s)
        meta = s["body"]
        try:
            reply = self.job_insert(s["project"], meta, data)
        except ApiError as e:
            if e.code == 409:
                st.session_drop_data(s)
            raise
        s["job"] = reply.job
        st.session_save(s)
        st.session_drop_data(s)
        return reply

    # ---- token -------------------------------------------------------

    def token(self, body):
        try:
            form = {k: v[-1] for k, v in urllib.parse.parse_qs(
                body.decode("ascii"), keep_blank_values=True).items()}
        except UnicodeDecodeError:
            form = {}
        port = self.server.server_address[1]
        own = ["http://127.0.0.1:%d/token" % port,
               "http://localhost:%d/token" % port]
        if self.headers.get("Host"):
            own.append("http://%s/token" % self.headers["Host"])
        try:
            tok = self.server.auth.grant(form, own)
        except GrantError as e:
            return Reply(400, {"error": e.code,
                               "error_description": e.desc})
        return Reply(200, tok, {"Cache-Control": "no-store"})

    # ---- test hooks --------------------------------------------------

    def route_test(self, path, body):
        srv = self.server
        st = srv.state
        if path == "/_fault":
            if self.command == "POST":
                try:
                    cfg = self.json_body(body)
                    srv.faults.configure(cfg.get("spec"), cfg.get("seed"),
                                         cfg.get("next"))
                except FaultError as e:
                    raise invalid(str(e))
            return Reply(200, srv.faults.describe())
        parts = [urllib.parse.unquote(x) for x in path.split("/")[2:]]
        if parts == ["jobs"]:
            out = []
            for j in st.job_list():
                out.append({"jobId": j["jobReference"]["jobId"],
                            "project": j["jobReference"]["projectId"],
                            "location": j["jobReference"]["location"],
                            "type": j["configuration"]["jobType"],
                            "state": j["status"]["state"],
                            "error": j["status"].get("errorResult"),
                            "committed": j["_x"]["committed"],
                            "statistics": j["statistics"]})
            return Reply(200, out)
        if parts == ["commits"]:
            try:
                with open(os.path.join(srv.opts.state, "commits.log"),
                          "rb") as f:
                    return Reply(200, f.read(),
                                 {"Content-Type": "application/x-ndjson"})
            except FileNotFoundError:
                return Reply(200, b"",
                             {"Content-Type": "application/x-ndjson"})
        if parts == ["loads"]:
            out = {}
            for j in st.job_list():
                out[j["jobReference"]["jobId"]] = j["_x"]["committed"]
            return Reply(200, out)
        if parts == ["stats"]:
            with srv.log_lock:
                counts = dict(srv.counts)
            return Reply(200, {"status_counts": counts,
                               "tokens_issued": srv.auth.issued,
                               "faults": srv.faults.describe()})
        if len(parts) == 5 and parts[0] == "tables" and \
                parts[4] == "rows":
            tb = st.table_get(parts[1], parts[2], parts[3])
            if self.q.get("form") == "canonical":
                fields = tb["schema"]["fields"]
                data = b"".join(
                    json.dumps(R.plain_cells(r, fields), ensure_ascii=False,
                               separators=(",", ":")).encode() + b"\n"
                    for r in st.table_rows(tb))
            else:
                data = b"".join(line + b"\n" for seg in tb["segments"]
                                for line in st.segment_lines(seg))
            return Reply(200, data, {"Content-Type": "application/x-ndjson"})
        if len(parts) == 4 and parts[0] == "tables":
            tb = st.table_get(parts[1], parts[2], parts[3])
            v = st.table_view(tb)
            v["segments"] = [{k: s[k] for k in ("id", "rows", "bytes",
                                                 "sha256")}
                             for s in tb["segments"]]
            return Reply(200, v)
        raise not_found("URL %s" % path)
