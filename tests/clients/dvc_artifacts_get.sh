#!/usr/bin/env bash
# `dvc artifacts get` and `dvc.api.artifacts_show` on a small DVC project with GTO tags:
# by version, by stage, the latest version, and a monorepo artifact `sub/dir:clf`.
#
# Usage: dvc_artifacts_get.sh VENV_BIN WORKDIR
#   VENV_BIN  the bin/ folder of a venv with dvc (and the gto under test) installed
#   WORKDIR   an empty scratch folder
# Prints one line per call, with commits named c1..c4 and the project path as PROJ, so
# the output can be compared with dvc_artifacts_get.expected (recorded with upstream
# GTO 1.10.1). Needs the git binary to build the project; gto never runs it.
set -uo pipefail
BIN=$1
W=$2
mkdir -p "$W/proj" "$W/out"
cd "$W/proj"
export GIT_AUTHOR_NAME=Alice GIT_AUTHOR_EMAIL=alice@example.com
export GIT_COMMITTER_NAME=Alice GIT_COMMITTER_EMAIL=alice@example.com
export GIT_CONFIG_NOSYSTEM=1 DVC_NO_ANALYTICS=1 DVC_TEST=true
git init -q -b main . && "$BIN/dvc" init -q && git commit -q -m "dvc init"
mkdir -p models sub/dir
commit() { GIT_AUTHOR_DATE="$2" GIT_COMMITTER_DATE="$2" git commit -q -m "$1"; }
tag() { GIT_COMMITTER_DATE="$2" git tag -a "$1" -m "$1"; }
set_content() { echo "$2" > "$1" && "$BIN/dvc" add -q "$1"; }

set_content models/churn.pkl one
printf 'artifacts:\n  churn:\n    type: model\n    path: models/churn.pkl\n' > dvc.yaml
set_content sub/dir/clf.pt sub-one
printf 'artifacts:\n  clf:\n    type: model\n    path: clf.pt\n' > sub/dir/dvc.yaml
git add -A && commit c1 "2024-01-01T10:00:00+0000"
tag churn@v1.0.0 "2024-02-01T10:00:00+0000"
tag 'sub/dir=clf@v1.0.0' "2024-02-01T11:00:00+0000"
set_content models/churn.pkl two
set_content sub/dir/clf.pt sub-two
git add -A && commit c2 "2024-01-02T10:00:00+0000"
tag churn@v2.0.0 "2024-02-02T10:00:00+0000"
tag 'sub/dir=clf@v2.0.0' "2024-02-02T11:00:00+0000"
# Registered last but a lower version: "latest" is the greatest SemVer, not the newest tag.
set_content models/churn.pkl three
git add -A && commit c3 "2024-01-03T10:00:00+0000"
tag churn@v1.5.0 "2024-02-03T10:00:00+0000"
git checkout -q HEAD~2 && tag 'churn#prod#1' "2024-02-04T10:00:00+0000"
git checkout -q main~1 && tag 'churn#dev#2' "2024-02-05T10:00:00+0000"
tag 'sub/dir=clf#prod#1' "2024-02-05T11:00:00+0000"
git checkout -q main
set_content models/churn.pkl four  # the work tree is newer than any version
git add -A && commit c4 "2024-01-04T10:00:00+0000"

names() {  # commit ids -> c1..c4, the project's path -> PROJ
    local script="s|$W/proj|PROJ|g"
    for n in 1 2 3 4; do
        script="$script;s|$(git -C "$W/proj" rev-parse "main~$((4 - n))")|c$n|g"
    done
    sed -e "$script"
}
get() {
    rm -rf "${W:?}/out/"*
    (cd "$W/out" && "$BIN/dvc" artifacts get "$W/proj" "$@" -o got > "$W/out.log" 2>&1)
    local rc=$?
    local got
    got=$(cat "$W/out/got" 2>/dev/null || tail -1 "$W/out.log")
    printf 'dvc artifacts get %s -> rc=%s %s\n' "$*" "$rc" "$got"
}
{
    get churn
    get churn --rev v1.0.0
    get churn --rev v1.5.0
    get churn --rev v3.0.0
    get churn --stage prod
    get churn --stage dev
    get churn --stage staging
    get sub/dir:clf
    get sub/dir:clf --rev v1.0.0
    get sub/dir:clf --stage prod
    get sub/dir/dvc.yaml:clf
    "$BIN/python" - <<'PY'
import dvc.api

for kw in [
    {"name": "churn"},
    {"name": "churn", "version": "v1.0.0"},
    {"name": "churn", "stage": "prod"},
    {"name": "sub/dir:clf"},
    {"name": "sub/dir:clf", "stage": "prod"},
]:
    try:
        print("dvc.api.artifacts_show", kw, "->", dvc.api.artifacts_show(**kw, repo="."))
    except Exception as e:
        print("dvc.api.artifacts_show", kw, "-> raises", type(e).__name__, e)
PY
} | names
