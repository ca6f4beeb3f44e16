"""Seeded fault injection for the fake BigQuery server.

SPEC is a comma-separated list of KIND=PROBABILITY[:ARG] items and
filters (see tests/servers/BIGQUERY.md):

    5xx=0.2,429=0.1,reset=0.05,slow=0.05:2,jobfail=0.1,path=/upload,method=PUT

Every request that passes the filters draws one number from a
random.Random seeded with --seed; the kinds are tried in the order above
(their probabilities add up), so a run with the same seed and the same
sequence of requests injects the same faults.  A queue of forced faults
("next") is served first, one per matching request, before any draw.
"""

import random
import re
import threading

KINDS = ("5xx", "500", "502", "503", "504", "429", "403rate", "quota",
         "reset", "resetafter", "slow", "jobfail", "short")
# "reset" picks before/after at random; these force one of them.
FORCED_ONLY = ("resetbefore",)


class FaultError(ValueError):
    pass


def parse_spec(spec):
    """SPEC text -> dict; raises FaultError on nonsense."""
    cfg = {"probs": [], "paths": [], "methods": [], "after": 0,
           "limit": None, "slow": 1.0}
    if not spec:
        return cfg
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        if "=" not in item:
            raise FaultError("fault spec: %s: expected KIND=VALUE" % item)
        k, v = item.split("=", 1)
        k = k.strip().lower()
        v = v.strip()
        if k == "path":
            cfg["paths"].append(v)
        elif k == "method":
            cfg["methods"].extend(m.upper() for m in v.split("|") if m)
        elif k in ("after", "count"):
            if not re.match(r"^\d+$", v):
                raise FaultError("fault spec: %s: not a number" % item)
            cfg["after" if k == "after" else "limit"] = int(v)
        elif k in KINDS:
            arg = None
            if ":" in v:
                v, arg = v.split(":", 1)
            try:
                p = float(v)
                a = float(arg) if arg is not None else None
            except ValueError:
                raise FaultError("fault spec: %s: not a number" % item)
            if not 0 <= p <= 1:
                raise FaultError("fault spec: %s: probability out of "
                                 "range" % item)
            if k == "slow" and a is not None:
                if a < 0 or a > 600:
                    raise FaultError("fault spec: %s: delay out of range"
                                     % item)
                cfg["slow"] = a
            cfg["probs"].append((k, p))
        else:
            raise FaultError("fault spec: %s: unknown kind" % k)
    if sum(p for _, p in cfg["probs"]) > 1.0 + 1e-9:
        raise FaultError("fault spec: probabilities add up to more than 1")
    return cfg


class Faults:
    """The live fault configuration; thread-safe."""

    def __init__(self, spec="", seed=0):
        self.lock = threading.Lock()
        self.seed = seed
        self.rng = random.Random(seed)
        self.cfg = parse_spec(spec)
        self.spec = spec or ""
        self.queue = []
        self.seen = 0
        self.drawn = 0          # faults drawn under the current spec
        self.injected = 0
        self.by_kind = {}

    def configure(self, spec=None, seed=None, nxt=None):
        cfg = parse_spec(spec) if spec is not None else None
        for k in nxt or []:
            if k not in KINDS + FORCED_ONLY:
                raise FaultError("fault: unknown kind %s" % k)
        with self.lock:
            if cfg is not None:
                self.cfg = cfg
                self.spec = spec
                self.seen = 0
                self.drawn = 0
            if seed is not None:
                self.seed = int(seed)
                self.rng = random.Random(self.seed)
            if nxt is not None:
                self.queue = list(nxt)

    def matches(self, method, path):
        c = self.cfg
        if c["methods"] and method not in c["methods"]:
            return False
        if c["paths"] and not any(p in path for p in c["paths"]):
            return False
        return True

    def draw(self, method, path):
        """The fault kind for this request, or None."""
        with self.lock:
            if not self.matches(method, path):
                return None
            if self.queue:
                return self._count(self.queue.pop(0))
            self.seen += 1
            if self.seen <= self.cfg["after"]:
                return None
            if self.cfg["limit"] is not None and \
                    self.drawn >= self.cfg["limit"]:
                return None
            if not self.cfg["probs"]:
                return None
            x = self.rng.random()
            acc = 0.0
            for k, p in self.cfg["probs"]:
                acc += p
                if x < acc:
                    self.drawn += 1
                    return self._count(k)
            return None

    def coin(self):
        with self.lock:
            return self.rng.random()

    def _count(self, kind):
        self.injected += 1
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1
        return kind

    def describe(self):
        with self.lock:
            return {"spec": self.spec, "seed": self.seed,
                    "next": list(self.queue), "injected": self.injected,
                    "by_kind": dict(self.by_kind),
                    "slow_seconds": self.cfg["slow"]}
