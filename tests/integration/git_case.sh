#!/bin/sh
# SPDX-License-Identifier: MIT
#
# git_case.sh - a small git session in ./repo: init, two commits, log, a
# diff and a gc. git forks and execs its helpers (git-pack-objects...), so
# under the shim this makes a tree of logs. Fixed identities and dates keep
# the hashes, and so the output, the same from run to run.
set -eu
GIT_AUTHOR_NAME=heaptrace GIT_AUTHOR_EMAIL=ht@example.invalid
GIT_COMMITTER_NAME=heaptrace GIT_COMMITTER_EMAIL=ht@example.invalid
GIT_AUTHOR_DATE='2024-01-01T00:00:00Z' GIT_COMMITTER_DATE='2024-01-01T00:00:00Z'
GIT_CONFIG_NOSYSTEM=1 HOME=$(pwd) GIT_PAGER=cat
export GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL
export GIT_AUTHOR_DATE GIT_COMMITTER_DATE GIT_CONFIG_NOSYSTEM HOME GIT_PAGER

git init -q -b main repo
cd repo
seq 1 2000 >numbers.txt
printf 'hello\n' >README
git add .
git commit -q -m "first commit"
seq 1 3 2000 >numbers.txt
git commit -q -a -m "second commit"
git log --stat
git diff --stat HEAD~1 HEAD
git gc -q
git count-objects -v | grep -v size
