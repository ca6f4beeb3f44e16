"""OAuth 2.0 JWT-bearer token endpoint and bearer-token checks.

Service-account public keys are registered as KEYS/<client_email>.pem
(make-sa-key writes them, with KEYS/<client_email>.json holding the
key file's token_uri and private_key_id).  Tokens are kept in memory and,
as SHA-256 digests only, in STATE/tokens.json so that a restarted server
still honours them.
"""

import base64
import hashlib
import json
import os
import secrets
import threading
import time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SCOPES_OK = ("https://www.googleapis.com/auth/bigquery",
             "https://www.googleapis.com/auth/cloud-platform")
SKEW = 300          # seconds of clock skew tolerated, like Google
MAX_LIFETIME = 3600


class GrantError(Exception):
    """An OAuth error: (error code, description)."""

    def __init__(self, code, desc):
        Exception.__init__(self, desc)
        self.code = code
        self.desc = desc


def b64url_decode(s):
    if not isinstance(s, str) or not s or \
            not all(c.isalnum() or c in "-_" for c in s):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def _digest(token):
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


class Auth:
    def __init__(self, state_dir, ttl=3600, accept_google_aud=False):
        self.keys_dir = os.path.join(state_dir, "keys")
        self.file = os.path.join(state_dir, "tokens.json")
        self.ttl = ttl
        self.accept_google_aud = accept_google_aud
        self.lock = threading.Lock()
        self.tokens = {}        # sha256 -> {"email", "exp", "scope"}
        self.issued = 0
        os.makedirs(self.keys_dir, mode=0o700, exist_ok=True)
        try:
            with open(self.file) as f:
                self.tokens = json.load(f)
        except (OSError, ValueError):
            self.tokens = {}

    def _save(self):
        now = time.time()
        self.tokens = {k: v for k, v in self.tokens.items()
                       if v["exp"] > now - 3600}
        tmp = self.file + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.tokens, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.file)

    def _keys_for(self, email):
        """[(public key, meta)] registered for EMAIL."""
        if "/" in email or email.startswith(".") or not email:
            return []
        out = []
        try:
            names = os.listdir(self.keys_dir)
        except OSError:
            return []
        for n in sorted(names):
            if not n.endswith(".pem"):
                continue
            stem = n[:-4]
            if stem != email and not stem.startswith(email + "."):
                continue
            try:
                with open(os.path.join(self.keys_dir, n), "rb") as f:
                    key = serialization.load_pem_public_key(f.read())
            except (OSError, ValueError):
                continue
            meta = {}
            try:
                with open(os.path.join(self.keys_dir, stem + ".json")) as f:
                    meta = json.load(f)
            except (OSError, ValueError):
                pass
            if isinstance(key, rsa.RSAPublicKey):
                out.append((key, meta))
        return out

    def grant(self, form, own_urls):
        """Checks a token request; returns the token response dict."""
        gt = form.get("grant_type")
        if gt != GRANT_TYPE:
            raise GrantError("unsupported_grant_type",
                             "Invalid grant_type: %s" % (gt or ""))
        jwt = form.get("assertion")
        if not jwt:
            raise GrantError("invalid_request", "Missing required "
                             "parameter: assertion")
        parts = jwt.split(".")
        if len(parts) != 3:
            raise GrantError("invalid_grant", "Invalid JWT: malformed")
        try:
            header = json.loads(b64url_decode(parts[0]))
            claims = json.loads(b64url_decode(parts[1]))
            sig = b64url_decode(parts[2])
        except ValueError:
            raise GrantError("invalid_grant", "Invalid JWT: could not "
                             "decode")
        if not isinstance(header, dict) or not isinstance(claims, dict):
            raise GrantError("invalid_grant", "Invalid JWT: malformed")
        if header.get("alg") != "RS256":
            raise GrantError("invalid_grant", "Invalid JWT: unsupported "
                             "algorithm %s" % header.get("alg"))
        iss = claims.get("iss")
        keys = self._keys_for(iss) if isinstance(iss, str) else []
        if not keys:
            raise GrantError("invalid_grant", "Invalid grant: account "
                             "not found")
        signed = (parts[0] + "." + parts[1]).encode("ascii")
        good = None
        for key, meta in keys:
            try:
                key.verify(sig, signed, padding.PKCS1v15(),
                           hashes.SHA256())
                good = meta
                break
            except InvalidSignature:
                continue
        if good is None:
            raise GrantError("invalid_grant", "Invalid JWT Signature.")
        aud = claims.get("aud")
        wanted = set(own_urls)
        if good.get("token_uri"):
            wanted.add(good["token_uri"])
        if self.accept_google_aud:
            wanted.add("https://oauth2.googleapis.com/token")
        if aud not in wanted:
            raise GrantError("invalid_grant", "Invalid JWT: Failed "
                             "audience check. The right audience is %s"
                             % sorted(wanted)[0])
        iat, exp = claims.get("iat"), claims.get("exp")
        now = time.time()
        if not isinstance(iat, (int, float)) or isinstance(iat, bool) or \
                not isinstance(exp, (int, float)) or isinstance(exp, bool) \
                or exp <= iat or exp - iat > MAX_LIFETIME or \
                iat > now + SKEW or exp < now - SKEW:
            raise GrantError("invalid_grant", "Invalid JWT: Token must be "
                             "a short-lived token (60 minutes) and in a "
                             "reasonable timeframe. Check your iat and "
                             "exp values in the JWT claim.")
        scope = claims.get("scope")
        if not isinstance(scope, str) or \
                not any(s in SCOPES_OK for s in scope.split()):
            raise GrantError("invalid_scope", "Invalid OAuth scope or ID "
                             "token audience provided.")
        token = "ya29.fake-" + secrets.token_urlsafe(48)
        with self.lock:
            self.tokens[_digest(token)] = {"email": iss,
                                          "exp": now + self.ttl,
                                          "scope": scope}
            self.issued += 1
            self._save()
        return {"access_token": token, "expires_in": int(self.ttl),
                "token_type": "Bearer"}

    def check(self, header):
        """None if HEADER carries a live token, else (reason, message)."""
        if not header:
            return ("required", "Login Required.")
        p = header.split(None, 1)
        if len(p) != 2 or p[0].lower() != "bearer":
            return ("authError", "Invalid Credentials")
        with self.lock:
            t = self.tokens.get(_digest(p[1].strip()))
        if t is None or t["exp"] < time.time():
            return ("authError", "Invalid Credentials")
        return None

    def email_for(self, header):
        try:
            with self.lock:
                t = self.tokens.get(_digest(header.split(None, 1)[1]))
            return t["email"] if t else None
        except (IndexError, AttributeError):
            return None
