#!/usr/bin/env bash
# `make verify` (STACK=dev by default): checks that what `make up` deployed works, the seed's
# manual verification (T017-T019) automated. Against the stack's cluster and namespace
# (kubeContext, kubeconfig from the stack config; namespace and release from its outputs):
#   1. every pod of the release is Running and Ready (restarts and last events of any that
#      is not), 2. `helm test`, 3. a port-forward to the frontend Service, and through it:
#   4. /api/status says the backend is ready, 5. a todo is created, read back and deleted,
#   6. a chat turn answers, 7. the backend log names its database host and holds no secret.
# One line per check, a summary, and a non-zero exit naming the failing step and the fix.
#
# Needs kubectl (Minikube users: `minikube kubectl --` works too, see README) and curl.
# With `helm` on PATH, step 2 is `helm test`; without it, the same test pod is taken from the
# release record and run with kubectl (what `helm test` does), so Helm is optional.
#   STACK=dev                         stack whose deployment to check
#   PULUMI_TODO_HOME=~/.pulumi-todo-chatbot   state and passphrase, as for `make up`
#   VERIFY_CHAT=auto|skip             skip: no chat turn (e.g. a Gemini key on a machine
#                                     that must not call Google)
#   VERIFY_TIMEOUT=180                seconds to wait for pods to become ready
#   VERIFY_INGRESS_ADDRESS=host:port  also check through the stack's Ingress (its ingressUrl
#                                     output), connecting to this address whatever the host
#                                     name resolves to (curl --connect-to): a status, a todo,
#                                     a chat turn, and the X-Request-ID each answer carries
#   VERIFY_CA=path                    CA certificate(s) to trust for the Ingress's HTTPS
set -euo pipefail
# shellcheck source=deploy/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

STACK=${STACK:-dev}
PULUMI_TODO_HOME=${PULUMI_TODO_HOME:-$HOME/.pulumi-todo-chatbot}
VERIFY_CHAT=${VERIFY_CHAT:-auto}
VERIFY_TIMEOUT=${VERIFY_TIMEOUT:-180}

passed=0
failed=0
first_failure=""
ok() { printf '  \033[32mok\033[0m    %-10s %s\n' "$1" "$2"; passed=$((passed + 1)); }
# fail STEP WHAT FIX: records the failure; the summary names the first one and its fix.
fail() {
  printf '  \033[31mFAIL\033[0m  %-10s %s\n' "$1" "$2"
  failed=$((failed + 1))
  [[ -n $first_failure ]] || first_failure="$1: $3"
}
info() { printf '        %s\n' "$@"; }
summary() {
  echo
  if ((failed == 0)); then
    printf '\033[32mverify: %d checks passed\033[0m (stack %s, namespace %s)\n' "$passed" "$STACK" "${namespace:-?}"
    exit 0
  fi
  printf '\033[31mverify: %d passed, %d FAILED\033[0m (stack %s)\n' "$passed" "$failed" "$STACK"
  printf 'first failing step -> %s\n' "$first_failure"
  exit 1
}
# abort STEP WHAT FIX: a failure the later checks cannot go on without.
abort() { fail "$@"; summary; }

# 0. Tools.
for tool in kubectl curl pulumi; do
  command -v "$tool" >/dev/null 2>&1 || abort tools "$tool is not installed" \
    "install $tool (kubectl: https://kubernetes.io/docs/tasks/tools/ or \`minikube kubectl\`; pulumi: https://www.pulumi.com/docs/install/)"
done

# 1. The stack: same local state and passphrase as `make up` (deploy/pulumi.sh).
export PULUMI_BACKEND_URL=${PULUMI_BACKEND_URL:-file://$PULUMI_TODO_HOME/state}
if [[ -z ${PULUMI_CONFIG_PASSPHRASE:-} && -z ${PULUMI_CONFIG_PASSPHRASE_FILE:-} && -s $PULUMI_TODO_HOME/passphrase ]]; then
  export PULUMI_CONFIG_PASSPHRASE_FILE=$PULUMI_TODO_HOME/passphrase
fi
export PULUMI_SKIP_UPDATE_CHECK=true
# config KEY DEFAULT: the stack's value, else the project default from Pulumi.yaml.
config() { pulumi config get --stack "$STACK" "$1" 2>/dev/null || echo "$2"; }
output() { pulumi stack output --stack "$STACK" "$1" 2>/dev/null; }
if ! release=$(output releaseName) || [[ -z $release ]]; then
  abort stack "stack $STACK has no deployment in $PULUMI_BACKEND_URL" "run \`make up STACK=$STACK\` first (or set PULUMI_BACKEND_URL/PULUMI_TODO_HOME to where it was deployed from)"
fi
namespace=$(output namespace)
context=$(config kubeContext minikube)
kubeconfig=$(config kubeconfig "")
kube=(kubectl --context "$context" -n "$namespace")
[[ -z $kubeconfig ]] || kube+=(--kubeconfig "${kubeconfig/#\~/$HOME}")
ok stack "stack $STACK: release $release in namespace $namespace, context $context"

# 2. Pods: wait (bounded) for the rollouts `pulumi up` may have just started, then every pod
#    of the release must be Running with all containers ready.
selector="app.kubernetes.io/instance=$release"
"${kube[@]}" get namespace "$namespace" >/dev/null 2>&1 ||
  "${kube[@]}" get pods -l "$selector" >/dev/null 2>&1 ||
  abort cluster "cannot reach namespace $namespace through context $context" \
    "start the cluster (\`minikube start\`) and check \`kubectl --context $context get pods -n $namespace\`"
for kind in deployment statefulset; do
  for w in $("${kube[@]}" get "$kind" -l "$selector" -o name 2>/dev/null); do
    "${kube[@]}" rollout status "$w" --timeout="${VERIFY_TIMEOUT}s" >/dev/null 2>&1 || true
  done
done
pod_table() {
  # "|"-separated: with a whitespace IFS, read would merge the empty deletionTimestamp field.
  "${kube[@]}" get pods -l "$selector,app.kubernetes.io/component!=test" -o jsonpath='{range .items[*]}{.metadata.name}{"|"}{.status.phase}{"|"}{.metadata.deletionTimestamp}{"|"}{range .status.containerStatuses[*]}{.ready}{" "}{end}{"|"}{range .status.containerStatuses[*]}{.restartCount}{" "}{end}{"\n"}{end}'
}
pods=0 bad=0 restarts=0
while IFS='|' read -r name phase deleting ready counts; do
  [[ -n $name && -z $deleting ]] || continue
  pods=$((pods + 1))
  n=0
  for c in $counts; do n=$((n + c)); done
  restarts=$((restarts + n))
  if [[ $phase != Running || -z $ready || $ready == *false* ]]; then
    bad=$((bad + 1))
    fail pods "pod $name is $phase, containers ready: ${ready:-none}, restarts: $n" \
      "look at \`kubectl --context $context -n $namespace describe pod $name\` and its logs"
    "${kube[@]}" get events --field-selector "involvedObject.name=$name" --sort-by=.lastTimestamp \
      -o custom-columns=TYPE:.type,REASON:.reason,MESSAGE:.message --no-headers 2>/dev/null | tail -n 5 |
      while IFS= read -r line; do info "event: $line"; done
  elif ((n > 0)); then
    info "pod $name restarted $n time(s)"
  fi
done < <(pod_table)
if ((pods == 0)); then
  abort pods "no pods with label $selector in $namespace" "run \`make up STACK=$STACK\`; \`kubectl -n $namespace get all\` shows what is there"
elif ((bad == 0)); then
  ok pods "$pods pods Running and Ready ($restarts restarts)"
fi

# 3. The chart's own test (a pod that asks the frontend's /api/status from inside the
#    cluster), with Helm when installed.
# No --logs: the chart deletes a passing test pod at once (hook-succeeded), so Helm could not
# fetch its log and would fail a passing test; a failing pod stays, and its log is shown.
helm_test() {
  local args=(test "$release" -n "$namespace" --kube-context "$context" --timeout 5m)
  [[ -z $kubeconfig ]] || args+=(--kubeconfig "${kubeconfig/#\~/$HOME}")
  helm "${args[@]}" && return 0
  "${kube[@]}" logs "$release-test-connection" 2>&1 | tail -n 5
  return 1
}
# Without Helm: the test hook's manifest from the deployed release record (a Secret holding
# base64(gzip(JSON))), applied, awaited and deleted, as `helm test` does.
kubectl_test() {
  local manifest pod phase i
  manifest=$("${kube[@]}" get secret -l "owner=helm,name=$release,status=deployed" \
    -o jsonpath='{.items[0].data.release}' | base64 -d | base64 -d | gunzip |
    python3 -c 'import json, sys
r = json.load(sys.stdin)
print("\n---\n".join(h["manifest"] for h in r.get("hooks", []) if "test" in h.get("events", [])))') || return 1
  [[ -n $manifest ]] || { echo "the release has no test hook"; return 1; }
  pod=$(sed -n 's/^  name: //p' <<<"$manifest" | head -n 1)
  "${kube[@]}" delete pod "$pod" --ignore-not-found --wait >/dev/null
  "${kube[@]}" apply -f - <<<"$manifest" >/dev/null || return 1
  for ((i = 0; i < 300; i++)); do
    phase=$("${kube[@]}" get pod "$pod" -o jsonpath='{.status.phase}' 2>/dev/null || true)
    [[ $phase == Succeeded || $phase == Failed ]] && break
    sleep 1
  done
  "${kube[@]}" logs "$pod" 2>&1 | tail -n 5
  [[ $phase == Succeeded ]] && "${kube[@]}" delete pod "$pod" --wait=false >/dev/null
  [[ $phase == Succeeded ]]
}
rc=0
if command -v helm >/dev/null 2>&1; then
  how="helm test"
  out=$(helm_test 2>&1) || rc=$?
else
  how="chart test pod via kubectl (helm not installed)"
  out=$(kubectl_test 2>&1) || rc=$?
fi
if ((rc == 0)); then
  ok helm-test "$how: $(grep -m1 -o -e 'ok: .*' -e 'Phase: *Succeeded' <<<"$out" | cut -c1-100 || echo passed)"
else
  fail helm-test "$how failed" "read the test pod's output below; the frontend could not reach a ready backend from inside the cluster"
  tail -n 8 <<<"$out" | while IFS= read -r line; do info "$line"; done
fi

# 4. A port-forward to the frontend Service on a free local port (kubectl picks it).
pf_log=$(mktemp)
"${kube[@]}" port-forward --address 127.0.0.1 "service/$release-frontend" :3000 >"$pf_log" 2>&1 &
pf_pid=$!
trap 'kill $pf_pid 2>/dev/null || true; rm -f "$pf_log"' EXIT
port=""
for ((i = 0; i < 100; i++)); do
  port=$(sed -n 's/^Forwarding from 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$pf_log" | head -n 1)
  [[ -z $port ]] || break
  kill -0 $pf_pid 2>/dev/null || break
  sleep 0.1
done
[[ -n $port ]] || abort port-forward "kubectl port-forward to service/$release-frontend failed: $(head -c 300 "$pf_log")" \
  "check that Service $release-frontend exists and has ready endpoints (\`kubectl -n $namespace get endpoints\`)"
base=http://127.0.0.1:$port
ok port-fwd "service/$release-frontend -> $base"

# request METHOD PATH [JSON]: sets $status and $body.
request() {
  local args=(-sS -m 20 -o "$tmp_body" -D "$tmp_headers" -w '%{http_code}' -X "$1" -H "Origin: $base" "${curl_extra[@]}")
  [[ $# -lt 3 ]] || args+=(-H 'Content-Type: application/json' --data "$3")
  status=$(curl "${args[@]}" "$base$2" 2>&1) || status="curl failed: $status"
  body=$(head -c 2000 "$tmp_body")
}
curl_extra=()
tmp_body=$(mktemp)
tmp_headers=$(mktemp)
trap 'kill $pf_pid 2>/dev/null || true; rm -f "$pf_log" "$tmp_body" "$tmp_headers"' EXIT
# The request id of the last answer ("" without one).
request_id() { sed -n 's/^[Xx]-[Rr]equest-[Ii][Dd]: *\([^[:space:]]*\).*/\1/p' "$tmp_headers" | tail -n 1; }
json() { python3 -c 'import json, sys
v = json.loads(sys.argv[1])
for k in sys.argv[2].split("."):
    v = v.get(k) if isinstance(v, dict) else None
print("" if v is None else json.dumps(v) if not isinstance(v, str) else v)' "$1" "$2" 2>/dev/null; }

# 5. Status: the frontend reaches the backend, which reaches its database.
request GET /api/status
if [[ $status == 200 && $(json "$body" backend.ready) == true ]]; then
  ok status "/api/status 200: backend ready"
else
  fail status "/api/status answered $status: $body" \
    "the frontend cannot reach a ready backend: \`kubectl -n $namespace logs deploy/$release-backend\` tells why"
fi

# 6. A todo through the frontend: create, read back, delete (and it is gone).
title="make verify $(date +%s)-$RANDOM"
request POST /api/todos "{\"title\": \"$title\"}"
id=$(json "$body" id)
if [[ $status != 201 || -z $id ]]; then
  fail todos "POST /api/todos answered $status: $body" "the backend could not store a todo: check its log and the database pod"
else
  request GET "/api/todos/$id"
  got=$(json "$body" title)
  request DELETE "/api/todos/$id"
  deleted=$status
  request GET "/api/todos/$id"
  if [[ $got == "$title" && $deleted == 204 && $status == 404 ]]; then
    ok todos "todo $id created, read back and deleted through the frontend"
  else
    fail todos "todo $id: read back \"$got\", delete answered $deleted, then GET answered $status" \
      "the todo API misbehaves: check the backend log"
  fi
fi

# 7. A chat turn (the offline assistant unless the stack has a Gemini key).
request GET /api/assistant
mode=$(json "$body" mode)
if [[ $VERIFY_CHAT == skip ]]; then
  info "chat turn skipped (VERIFY_CHAT=skip); assistant mode: ${mode:-unknown}"
else
  request POST /api/chat '{"message": "list my todos"}'
  reply=$(json "$body" reply)
  if [[ $status == 200 && -n $reply ]]; then
    ok chat "$(json "$body" mode) assistant answered: $(head -c 60 <<<"$reply" | tr '\n' ' ')"
  else
    fail chat "POST /api/chat answered $status: $body" \
      "the assistant did not answer: check the backend log (with a Gemini key: the key and the network)"
  fi
fi

# 8. Through the Ingress, as users of a cloud cluster reach the app (VERIFY_INGRESS_ADDRESS).
if [[ -n ${VERIFY_INGRESS_ADDRESS:-} ]]; then
  ingress_url=$(output ingressUrl || true)
  if [[ -z $ingress_url ]]; then
    fail ingress "stack $STACK has no ingressUrl output" \
      "set the host it is reached at: \`pulumi config set --stack $STACK ingressHost todo.example.com\`, then \`make up\`"
  else
    scheme=${ingress_url%%://*}
    ingress_host=${ingress_url#*://}
    ingress_host=${ingress_host%%/*}
    default_port=80
    [[ $scheme != https ]] || default_port=443
    base=${ingress_url%/}
    curl_extra=(--connect-to "$ingress_host:$default_port:$VERIFY_INGRESS_ADDRESS")
    [[ -z ${VERIFY_CA:-} ]] || curl_extra+=(--cacert "$VERIFY_CA")
    ids=()
    request GET /api/status
    ids+=("$(request_id)")
    status_ok=$([[ $status == 200 && $(json "$body" backend.ready) == true ]] && echo yes || echo no)
    ingress_status=$status ingress_body=$body
    request POST /api/todos "{\"title\": \"$title (ingress)\"}"
    ids+=("$(request_id)")
    id=$(json "$body" id)
    created=$status
    [[ -z $id ]] || { request DELETE "/api/todos/$id"; ids+=("$(request_id)"); }
    deleted=${status:-}
    chat_status=skipped
    if [[ $VERIFY_CHAT != skip ]]; then
      request POST /api/chat '{"message": "list my todos"}'
      ids+=("$(request_id)")
      chat_status=$status
    fi
    missing=0
    for rid in "${ids[@]}"; do [[ -n $rid ]] || missing=$((missing + 1)); done
    if [[ $status_ok != yes ]]; then
      fail ingress "$base/api/status through $VERIFY_INGRESS_ADDRESS answered $ingress_status: $(head -c 300 <<<"$ingress_body")" \
        "check the Ingress (\`kubectl -n $namespace describe ingress $release\`), its class and TLS Secret, and VERIFY_CA"
    elif [[ $created != 201 || $deleted != 204 || ($chat_status != 200 && $chat_status != skipped) ]]; then
      fail ingress "through $base: create answered $created, delete $deleted, chat $chat_status" \
        "the app answers through the Ingress but misbehaves: check the backend log"
    elif ((missing > 0)); then
      fail ingress "$missing of ${#ids[@]} answers through $base carry no X-Request-ID" \
        "the frontend returns the request id on every /api answer: is the deployed image current?"
    else
      ok ingress "$base via $VERIFY_INGRESS_ADDRESS${VERIFY_CA:+ (trusting $VERIFY_CA only)}: status, a todo, chat $chat_status; request ids ${ids[0]} ..."
    fi
    curl_extra=()
  fi
fi

# 9. The backend log: it names its database host, and no secret appears in it. The secret
#    values are read into variables for the comparison only, never printed.
logs=$("${kube[@]}" logs -l "$selector,app.kubernetes.io/component=backend" --all-containers --tail=-1 --prefix 2>&1 || true)
secret=$release-secrets
database_url=$("${kube[@]}" get secret "$secret" -o jsonpath='{.data.DATABASE_URL}' 2>/dev/null | base64 -d 2>/dev/null || true)
api_key=$("${kube[@]}" get secret "$secret" -o jsonpath='{.data.GEMINI_API_KEY}' 2>/dev/null | base64 -d 2>/dev/null || true)
# Parsed from stdin, so no secret is ever on a command line (visible in `ps`).
read -r db_host password < <(python3 -c 'import sys, urllib.parse
u = urllib.parse.urlsplit(sys.stdin.read().strip())
print(u.hostname or "-", u.password or "")' <<<"$database_url" 2>/dev/null || echo "- ")
[[ $db_host != - ]] || db_host=""
leaks=0
for s in "$database_url" "$password" "$api_key"; do
  if [[ -n $s && $logs == *"$s"* ]]; then leaks=$((leaks + 1)); fi
done
logged_host=$(grep -o 'database connected host=[^ ]*' <<<"$logs" | head -n 1 | sed 's/.*host=//')
if ((leaks > 0)); then
  fail logs "the backend log contains $leaks secret value(s) (not shown)" \
    "find the log line that prints DATABASE_URL or GEMINI_API_KEY and remove it; rotate the leaked secret"
elif [[ -z $logged_host ]]; then
  fail logs "the backend log has no 'database connected host=...' line ($(wc -l <<<"$logs") lines)" \
    "the backend did not connect to its database: \`kubectl -n $namespace logs deploy/$release-backend --all-containers\`"
elif [[ -n $db_host && $logged_host != "$db_host" ]]; then
  fail logs "the backend connected to host $logged_host, but DATABASE_URL names $db_host" \
    "check the databaseUrl config of stack $STACK and the Secret $secret"
else
  ok logs "backend log: database host $logged_host, no secret in $(wc -l <<<"$logs") lines"
fi

summary
