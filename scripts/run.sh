#!/usr/bin/env bash
# Starts the web app with its Celery worker and beat on the embedded broker (or REDIS_URL if set),
# and stops all three together on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
# What users see (issue 9): no debug page, the Chinese 404/403/500 pages. DEBUG=1 make run for Django's.
export DEBUG=${DEBUG:-0}
# A run on this machine over plain http: a key generated in var/, no HTTPS redirect (README).
export LOCAL_SECRET_KEY=${LOCAL_SECRET_KEY:-1} HTTPS=${HTTPS:-0}
# Mail goes to the worker's log unless EMAIL_URL says where (no SMTP server on a laptop).
export EMAIL_URL=${EMAIL_URL:-consolemail://}
# Listening on every interface means being reached by this machine's address, whatever it is.
case "$HOST" in 0.0.0.0|::) export ALLOWED_HOSTS=${ALLOWED_HOSTS:-*} ;; esac
mkdir -p var/log
# Without DEBUG the pages' CSS and scripts are served by WhiteNoise from STATIC_ROOT.
"$BIN/python" manage.py collectstatic --noinput >var/log/collectstatic.log

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

"$BIN/celery" -A config worker --loglevel=INFO --concurrency=2 >var/log/worker.log 2>&1 &
pids+=($!)
"$BIN/celery" -A config beat --loglevel=INFO --schedule=var/celerybeat-schedule >var/log/beat.log 2>&1 &
pids+=($!)

cat <<MSG

  嵊州重大项目全周期管理 is running at  http://$HOST:$PORT/
  Admin:                                 http://$HOST:$PORT/admin/
  API schema:                            http://$HOST:$PORT/api/schema/

  Demo logins (password Demo@2026sz):
    center  招商中心 (investment center)
    leader  市领导 (常务副市长)
    unit    责任单位 (市经信局)
    admin   系统管理员

  Worker and beat logs: var/log/worker.log, var/log/beat.log   (Ctrl-C stops everything)

MSG
"$BIN/python" manage.py runserver "$HOST:$PORT" --noreload &
pids+=($!)
wait -n "${pids[@]}"
