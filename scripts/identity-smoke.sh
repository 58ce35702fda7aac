#!/usr/bin/env bash
# The first steps on a new Wharf with nothing but curl: as the bootstrap admin, create a
# user and an organization, make the user a writer of it, create an access token for the
# user, and list the organization's packages with that token.
#
#   REGISTRY_ADMIN_USERNAME=root REGISTRY_ADMIN_PASSWORD=change-me-now npm start &
#   WHARF_URL=http://localhost:3000 ADMIN_USER=root ADMIN_PASSWORD=change-me-now \
#     bash scripts/identity-smoke.sh
#
# Prints the token (once: Wharf stores only its hash) and the package list.
set -euo pipefail

url="${WHARF_URL:-http://localhost:3000}"
admin="${ADMIN_USER:?set ADMIN_USER}:${ADMIN_PASSWORD:?set ADMIN_PASSWORD}"
user="${SMOKE_USER:-dev}"
password="${SMOKE_PASSWORD:-dev-password-1}"
org="${SMOKE_ORG:-team}"
json=(-H 'Content-Type: application/json')

# 1. a user (site admin only)
curl -fsS -u "$admin" "${json[@]}" -X POST "$url/api/v1/admin/users" \
  -d "{\"username\":\"$user\",\"email\":\"$user@example.com\",\"password\":\"$password\",\"must_change_password\":false}" >/dev/null

# 2. a private organization (its creator, here the admin, becomes its first admin)
curl -fsS -u "$admin" "${json[@]}" -X POST "$url/api/v1/orgs" \
  -d "{\"username\":\"$org\",\"visibility\":\"private\"}" >/dev/null

# 3. the user as a writer of the organization
curl -fsS -u "$admin" "${json[@]}" -X PUT "$url/api/v1/orgs/$org/members/$user" -d '{"role":"write"}'

# 4. an access token for the user, created with the user's own password
created=$(curl -fsS -u "$user:$password" "${json[@]}" -X POST "$url/api/v1/users/$user/tokens" \
  -d '{"name":"smoke","scopes":["write:package"]}')
token=$(printf '%s' "$created" | sed -n 's/.*"sha1":"\([0-9a-f]*\)".*/\1/p')
[ -n "$token" ] || { echo "no token in: $created" >&2; exit 1; }
echo "token: $token"

# 5. the organization's packages, read with the token
echo "packages of $org:"
curl -fsS -H "Authorization: token $token" "$url/api/v1/packages/$org"
echo
