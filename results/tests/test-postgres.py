#!/usr/bin/env python3
"""The results store on PostgreSQL: a private server started here (initdb
into a temporary directory, listening on 127.0.0.1 only, on a free port,
fsync off), then a bench run stored with --db postgresql://..., a conform
report and the same bench run imported, read back: export gives the
document, list/rows agree with the same documents in SQLite, history reads
the series. The server and its directory are removed at the end.

CI machines start with no services: this test starts its own. Exit 77 only
when PostgreSQL is not installed and cannot be (not root, no apt), or the
server does not start (the reason is printed).

usage: test-postgres.py SPLSUITE
"""
import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time

splsuite = sys.argv[1]
failures = []


def ok(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL", msg)
    return cond


def skip(why):
    print("SKIP: " + why)
    sys.exit(77)


def pg_bindir():
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return os.path.dirname(dirs[-1]) if dirs else None


bindir = pg_bindir()
if not bindir:
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        skip("PostgreSQL is not installed and this test cannot install it (not root, or no apt-get): "
             "apt install postgresql")
    t0 = time.time()
    p = subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "postgresql"],
                       capture_output=True, text=True, env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    bindir = pg_bindir()
    if not bindir:
        skip("apt-get install postgresql failed: %s" % (p.stderr or p.stdout)[-300:])
    print("installed PostgreSQL in %.0f s" % (time.time() - t0))

# initdb and postgres refuse to run as root: run them as the postgres user
as_user = []
if os.geteuid() == 0:
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        skip("running as root and there is no 'postgres' user to run the server as")
    as_user = ["runuser", "-u", "postgres", "--"]

tmp = tempfile.mkdtemp(prefix="splsuite-pgtest-")
os.chmod(tmp, 0o755)
data = os.path.join(tmp, "data")
os.mkdir(data)
if as_user:
    shutil.chown(data, "postgres", "postgres")
s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
started = False
t0 = time.time()
try:
    p = subprocess.run(as_user + [os.path.join(bindir, "initdb"), "-D", data, "-A", "trust", "-U", "splsuite",
                                  "-E", "UTF8", "--no-sync"], capture_output=True, text=True)
    if p.returncode != 0:
        skip("initdb failed: %s" % p.stderr[-400:])
    log = os.path.join(data, "server.log")
    p = subprocess.run(as_user + [os.path.join(bindir, "pg_ctl"), "-D", data, "-l", log, "-w", "-t", "60", "-o",
                                  "-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off -c full_page_writes=off" %
                                  (port, data), "start"], capture_output=True, text=True)
    if p.returncode != 0:
        skip("the server did not start: %s %s" % (p.stdout[-300:], open(log).read()[-400:] if os.path.exists(log) else ""))
    started = True
    p = subprocess.run(as_user + [os.path.join(bindir, "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "splsuite",
                                  "results"], capture_output=True, text=True)
    ok(p.returncode == 0, "createdb: %s" % p.stderr)
    print("PostgreSQL %s on 127.0.0.1:%d, up in %.1f s" % (bindir.split("/")[4], port, time.time() - t0))
    url = "postgresql://splsuite@127.0.0.1:%d/results" % port

    def sp(args):
        return subprocess.run([splsuite] + args, capture_output=True, text=True, timeout=300,
                              env=dict(os.environ, TMPDIR=tmp))

    run_json = os.path.join(tmp, "run.json")
    p = sp(["bench", "ops", "--ops", "set,get", "--quick", "-r", "3", "--impl", "ref", "--no-progress", "--json", "-o",
            run_json, "--db", url])
    ok(p.returncode == 0 and "stored in postgresql://splsuite@127.0.0.1" in p.stderr,
       "bench --db postgresql: exit %d %s" % (p.returncode, p.stderr[-500:]))
    conf_json = os.path.join(tmp, "conform.json")
    p = sp(["conform", "--rules", "FMT-001", "-o", conf_json])
    ok(p.returncode == 0, "conform: %s" % p.stderr[-300:])
    sqlite = os.path.join(tmp, "same.db")
    for db in (url, sqlite):
        p = sp(["db", "--db", db, "import", run_json, conf_json])
        ok(p.returncode == 0, "import into %s: %s" % (db, p.stderr))
    ok("already stored" in sp(["db", "--db", url, "import", run_json]).stdout, "PostgreSQL: second import is a no-op")

    doc = json.load(open(run_json))
    got = sp(["db", "--db", url, "export", doc["run"]["id"]])
    ok(got.returncode == 0 and json.loads(got.stdout) == doc, "export from PostgreSQL: the document as stored")
    for what in ("list", "rows"):
        a = json.loads(sp(["db", "--db", url, what, "--json"]).stdout)
        b = json.loads(sp(["db", "--db", sqlite, what, "--json"]).stdout)
        key = "runs" if what == "list" else "rows"
        ok(a[key] == b[key] and len(a[key]) >= 2, "%s: PostgreSQL and SQLite agree (%d vs %d entries)" %
           (what, len(a[key]), len(b[key])))
        ok(a["engine"] == "postgresql" and b["engine"] == "sqlite", "engines named: %s %s" % (a["engine"], b["engine"]))
    h = sp(["history", "--db", url, "ops/set/v:64/fill:50", "--json"])
    ok(h.returncode == 0 and len(json.loads(h.stdout)["points"]) == 1, "history from PostgreSQL: %s" % h.stderr)
    # a wrong password or database is a clear error, exit 1
    p = sp(["db", "--db", "postgresql://splsuite@127.0.0.1:%d/nosuchdb" % port, "list"])
    ok(p.returncode == 1 and "nosuchdb" in p.stderr, "unknown database: exit %d %r" % (p.returncode, p.stderr))
finally:
    if started:
        subprocess.run(as_user + [os.path.join(bindir, "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop"],
                       capture_output=True)
    shutil.rmtree(tmp, ignore_errors=True)
print("PostgreSQL test: %.1f s in all" % (time.time() - t0))
print("%s: %d failure(s)" % ("FAIL" if failures else "PASS", len(failures)))
sys.exit(1 if failures else 0)
