#!/usr/bin/env bash
# Every learning figure and table of the paper under both readings (protocol text
# and code), at the reduced sizes written in experiments/README.md ("Both
# protocols"). Results go to $OUT/<protocol>/<tag>/<experiment>.{h5,png,md} and
# the run's JSON summary to $OUT/<protocol>/<tag>.json (tag: the experiment's
# name, or the variant's).
#
#   scripts/reproduce_learning.sh [OUT] [PROTOCOLS] [EXPERIMENTS]
#   scripts/reproduce_learning.sh runs "code text" "fig14 table7"
#
# Reductions (2 shared cores): 12,000 training samples (a fixed class-mixed
# subset), 2,000 validation images, 4 epochs, N <= 1600 and one seed, unless a
# line below says otherwise; the full sizes are each experiment's FULL settings.
# Both protocols use a fully connected core (rho = 1, the authors' network and
# SM-E's "core with rho = 1"); the text reading takes Table VI's rates in the
# coupling scale (eta_units = fan-in), the code reading its own units.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-runs}
PROTOCOLS=${2:-"code text"}
ONLY=${3:-"fig14 table7 fig3 fig7 fig8 fig10 fig15 fig9 fig2"}
NS=".venv/bin/neurosim"
SUB=(--set train_size=12000 --set val_size=2000 --set epochs=4)

run() {  # run PROTOCOL NAME[:TAG] ARGS...
    local protocol=$1 name=${2%%:*} tag=${2##*:}
    shift 2
    case " $ONLY " in *" $name "*) ;; *) return 0 ;; esac
    local units=()  # Table VI's rates in the coupling scale for the text reading's Table VI / V runs
    case "$protocol:$name" in text:fig14|text:table7|text:fig3|text:fig7|text:fig8|text:fig10|text:fig15)
        units=(--set eta_units=fan-in) ;; esac
    mkdir -p "$OUT/$protocol"
    echo "== $protocol $tag $*" >&2
    "$NS" experiment "$name" --quick --out "$OUT/$protocol/$tag" --json --set protocol="$protocol" "$@" \
        "${units[@]}" > "$OUT/$protocol/$tag.json"
}

for protocol in $PROTOCOLS; do
    run "$protocol" fig14 "${SUB[@]}" --set rho=1.0 --set "ns=[100,400,1600]" --set "j_ds=[0.0,0.1,0.25,0.5,0.75,0.9]"
    steps=(); [ "$protocol" = code ] && steps=(--set max_steps=20 --set overlap_warmup=0)  # the authors' Table VII run
    run "$protocol" table7 --set n=1600 --set rho=1.0 --set train_size=12000 --set eval_size=1000 --set val_size=2000 \
        --set epochs=4 "${steps[@]}"
    run "$protocol" fig3 "${SUB[@]}" --set epochs=3 --set n=400 --set "j_ds=[0.0,0.25,0.5,0.75,1.0]" \
        --set "lams=[0.0,0.25,0.5,1.0]"
    run "$protocol" fig7 "${SUB[@]}" --set rho=1.0 --set "ns=[400]" --set "j_ds=[0.1,0.3,0.5,0.7,0.9]"
    run "$protocol" fig8 "${SUB[@]}" --set rho=1.0 --set "ns=[100,400,1600]"
    run "$protocol" fig10 "${SUB[@]}" --set n=400
    run "$protocol" fig15 "${SUB[@]}" --set n=400 --set rho=1.0
    run "$protocol" fig9
    run "$protocol" fig9:fig9_authors --set design=authors
    run "$protocol" fig2 --set "datasets=[\"entangled-mnist\",\"mnist\"]" --set "ns=[500,1000]" --set epochs=4 \
        --set mlp_epochs=4 --set train_size=12000 --set val_size=2000 --set data_dir=../shared/data
done
