#!/usr/bin/python3
"""One SigV4-signed S3 request with an empty body, for start.sh.

usage: s3-request.py METHOD PATH
  env: S3_ENDPOINT (http://127.0.0.1:9000), S3_ACCESS_KEY, S3_SECRET_KEY,
       S3_REGION (us-east-1)
Prints the HTTP status (the error body goes to stderr).
exit: 0 for 2xx, 1 for any other answer, 2 when nothing answered.

start.sh uses it to wait until the S3 API answers *signed* requests (a TCP
connect only proves the proxy listens, not that auth and memcached work) and
to create the bucket. Only the Python standard library: it must run before
node_modules exists.
"""
import datetime
import hashlib
import hmac
import http.client
import os
import sys
import urllib.parse

EMPTY_SHA256 = hashlib.sha256(b'').hexdigest()


def hmac_sha256(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def signing_key(secret_key, day, region):
    key = hmac_sha256(('AWS4' + secret_key).encode(), day)
    for part in (region, 's3', 'aws4_request'):
        key = hmac_sha256(key, part)
    return key


def signed_headers(method, path, host, access_key, secret_key, region):
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date = now.strftime('%Y%m%dT%H%M%SZ')
    day = now.strftime('%Y%m%d')
    names = 'host;x-amz-content-sha256;x-amz-date'
    canonical_request = '\n'.join([
        method, path, '',
        'host:' + host,
        'x-amz-content-sha256:' + EMPTY_SHA256,
        'x-amz-date:' + amz_date, '',
        names, EMPTY_SHA256])
    scope = '%s/%s/s3/aws4_request' % (day, region)
    string_to_sign = '\n'.join([
        'AWS4-HMAC-SHA256', amz_date, scope,
        hashlib.sha256(canonical_request.encode()).hexdigest()])
    signature = hmac.new(signing_key(secret_key, day, region),
                         string_to_sign.encode(), hashlib.sha256).hexdigest()
    return {
        'Host': host,
        'x-amz-date': amz_date,
        'x-amz-content-sha256': EMPTY_SHA256,
        'Authorization': 'AWS4-HMAC-SHA256 Credential=%s/%s, '
                         'SignedHeaders=%s, Signature=%s'
                         % (access_key, scope, names, signature),
        'Content-Length': '0',
    }


def main():
    if len(sys.argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    method = sys.argv[1].upper()
    endpoint = urllib.parse.urlsplit(
        os.environ.get('S3_ENDPOINT', 'http://127.0.0.1:9000'))
    path = urllib.parse.quote(sys.argv[2], safe='/-_.~')
    headers = signed_headers(method, path, endpoint.netloc,
                             os.environ['S3_ACCESS_KEY'],
                             os.environ['S3_SECRET_KEY'],
                             os.environ.get('S3_REGION', 'us-east-1'))
    try:
        conn = http.client.HTTPConnection(endpoint.hostname, endpoint.port,
                                          timeout=10)
        conn.request(method, path, headers=headers)
        resp = conn.getresponse()
        body = resp.read().decode('utf-8', 'replace')
    except OSError as e:
        print('no answer: %s' % e)
        return 2
    print(resp.status)
    if not 200 <= resp.status < 300:
        sys.stderr.write(body + '\n')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
