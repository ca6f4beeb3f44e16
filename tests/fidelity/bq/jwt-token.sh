#!/bin/sh
# jwt-token.sh KEYFILE [SCOPE] [AUD] [IAT_OFFSET] [LIFETIME]: the OAuth
# JWT-bearer flow by hand with openssl and curl, independent of the
# servers' own code: builds and signs the assertion, posts it to the key
# file's token_uri and prints the token endpoint's JSON answer.
set -eu
key=$1
scope=${2:-https://www.googleapis.com/auth/bigquery}
uri=$(jq -r .token_uri "$key")
aud=${3:-$uri}
off=${4:-0}
life=${5:-3600}
email=$(jq -r .client_email "$key")
kid=$(jq -r .private_key_id "$key")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
umask 077
jq -r .private_key "$key" > "$tmp/key.pem"
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
iat=$(( $(date +%s) + off ))
exp=$(( iat + life ))
hdr=$(printf '{"alg":"RS256","typ":"JWT","kid":"%s"}' "$kid" | b64url)
clm=$(jq -cn --arg iss "$email" --arg scope "$scope" --arg aud "$aud" \
    --argjson iat "$iat" --argjson exp "$exp" \
    '{iss:$iss, scope:$scope, aud:$aud, iat:$iat, exp:$exp}' | b64url)
sig=$(printf '%s.%s' "$hdr" "$clm" |
    openssl dgst -sha256 -sign "$tmp/key.pem" -binary | b64url)
curl -sS -X POST \
    --data-urlencode 'grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer' \
    --data-urlencode "assertion=$hdr.$clm.$sig" \
    -w '\n%{http_code}\n' "$uri"
