#!/bin/sh
# check-po.sh SOURCE_ROOT
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Keeps the translations complete: every language in po/LINGUAS must
# translate every message the sources contain, with nothing fuzzy, and
# every source file with translatable strings must be in po/POTFILES.in
# (a file missing there silently stays English).  The template is
# extracted afresh into a temporary directory with the keywords and flags
# of meson's 'glib' gettext preset, so the check does not depend on a
# stale po/mailpeek.pot.

set -u
# The tools' messages are parsed below: keep them in English.
LC_ALL=C
export LC_ALL

srcdir=${1:?usage: check-po.sh SOURCE_ROOT}
po="$srcdir/po"
status=0

for tool in msgfmt msgcmp xgettext; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "SKIP: $tool is not installed (Debian package gettext)"
    exit 77
  fi
done

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

fail () {
  echo "FAIL: $*"
  status=1
}

# 1. POTFILES.in lists every C file that marks strings, and is sorted.
grep -v '^[[:space:]]*\(#\|$\)' "$po/POTFILES.in" > "$tmp/potfiles"

if ! sort -c "$tmp/potfiles" 2>/dev/null; then
  fail "po/POTFILES.in is not sorted (LC_ALL=C sort)"
fi

while read -r file; do
  [ -f "$srcdir/$file" ] || fail "po/POTFILES.in lists $file, which does not exist"
done < "$tmp/potfiles"

(cd "$srcdir" && grep -rlE '\b(_|N_|C_|NC_|ngettext) ?\(' --include='*.c' src) | sort > "$tmp/marked"
while read -r file; do
  if ! grep -qxF "$file" "$tmp/potfiles"; then
    fail "$file has translatable strings but is not listed in po/POTFILES.in"
  fi
done < "$tmp/marked"

# 2. A fresh template from the sources, as meson's mailpeek-pot makes it.
if ! xgettext --package-name=mailpeek \
       --directory="$srcdir" --files-from="$tmp/potfiles" \
       --output="$tmp/mailpeek.pot" \
       --from-code=UTF-8 --add-comments \
       --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
       --keyword=g_dcgettext:2 --keyword=g_dngettext:2,3 \
       --keyword=g_dpgettext2:2c,3 \
       --flag=N_:1:pass-c-format --flag=C_:2:pass-c-format \
       --flag=NC_:2:pass-c-format --flag=g_dngettext:2:pass-c-format \
       --flag=g_strdup_printf:1:c-format --flag=g_string_printf:2:c-format \
       --flag=g_string_append_printf:2:c-format --flag=g_error_new:3:c-format \
       --flag=g_set_error:4:c-format --flag=g_markup_printf_escaped:1:c-format \
       --flag=g_log:3:c-format --flag=g_print:1:c-format \
       --flag=g_printerr:1:c-format --flag=g_printf:1:c-format \
       --flag=g_fprintf:2:c-format --flag=g_sprintf:2:c-format \
       --flag=g_snprintf:3:c-format; then
  fail "xgettext could not extract the messages listed in po/POTFILES.in"
  exit 1
fi

# 3. Each language: valid, complete, nothing fuzzy, nothing missing.
for lang in $(grep -v '^[[:space:]]*\(#\|$\)' "$po/LINGUAS"); do
  file="$po/$lang.po"

  if [ ! -f "$file" ]; then
    fail "po/LINGUAS lists $lang, but po/$lang.po does not exist"
    continue
  fi

  # --check validates the header, plural forms and every format string.
  if ! msgfmt --check --statistics -o /dev/null "$file" 2> "$tmp/stats"; then
    cat "$tmp/stats"
    fail "msgfmt --check rejects po/$lang.po"
    continue
  fi
  cat "$tmp/stats"
  if grep -qE 'fuzzy|untranslated' "$tmp/stats"; then
    fail "po/$lang.po has fuzzy or untranslated messages (msgattrib --only-fuzzy / --untranslated po/$lang.po lists them)"
  fi

  # Every msgid of the fresh template must be translated in the .po.
  if ! msgcmp --no-fuzzy-matching "$file" "$tmp/mailpeek.pot" 2> "$tmp/missing"; then
    cat "$tmp/missing"
    fail "po/$lang.po lacks messages that are in the sources: run
      meson compile -C _build mailpeek-pot mailpeek-update-po
    and translate the new messages in po/$lang.po"
  fi
done

if [ "$status" -eq 0 ]; then
  echo "PASS: translations are complete"
fi
exit "$status"
