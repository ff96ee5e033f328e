#!/usr/bin/env bash
# `make up` / `make preview` / `make destroy` / `make dev`: runs Pulumi on a stack (STACK, default dev)
# with no Pulumi Cloud account: state in a local directory and the passphrase secrets
# provider, with the passphrase in a file outside the repository. For the Minikube stack it
# starts Minikube first. Extra arguments go to pulumi: `deploy/pulumi.sh preview --diff`.
#
#   STACK=dev                       stack to select (created on first use)
#   PULUMI_TODO_HOME=~/.pulumi-todo-chatbot   state directory and passphrase file
#   MINIKUBE_PROFILE=minikube       Minikube profile to start (dev stack)
set -euo pipefail
# shellcheck source=deploy/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

usage() { echo "usage: $0 up|preview|destroy|dev [pulumi arguments...]" >&2; exit 2; }
(($# >= 1)) || usage
cmd=$1; shift
case "$cmd" in up | preview | destroy | dev) ;; *) usage ;; esac

STACK=${STACK:-dev}
PULUMI_TODO_HOME=${PULUMI_TODO_HOME:-$HOME/.pulumi-todo-chatbot}
MINIKUBE_PROFILE=${MINIKUBE_PROFILE:-minikube}

# The stack builds into Minikube unless its stack file names a registry or a promotion
# source (then it needs neither Minikube nor Docker here), or names its own Docker daemon
# and a cluster that is not Minikube's (its own kubeconfig file, or a context other than
# minikube): a cluster this script does not start.
stack_file="Pulumi.$STACK.yaml"
uses_minikube=true
if [[ -f $stack_file ]]; then
  if grep -Eq '^\s*todo-chatbot:(registry|promoteFrom):' "$stack_file" ||
    { grep -Eq '^\s*todo-chatbot:dockerHost:' "$stack_file" &&
      { grep -Eq '^\s*todo-chatbot:kubeconfig:\s*"?[^" ]' "$stack_file" ||
        { grep -Eq '^\s*todo-chatbot:kubeContext:' "$stack_file" &&
          ! grep -Eq '^\s*todo-chatbot:kubeContext:\s*"?minikube"?\s*$' "$stack_file"; }; }; }; then
    uses_minikube=false
  fi
fi

# 1. Tools, each with how to get it.
declare -A how=(
  [go]="install Go 1.25 or newer: https://go.dev/doc/install"
  [pulumi]="install the Pulumi CLI: curl -fsSL https://get.pulumi.com | sh   (https://www.pulumi.com/docs/install/)"
  [minikube]="install Minikube: https://minikube.sigs.k8s.io/docs/start/"
  [kubectl]="install kubectl: https://kubernetes.io/docs/tasks/tools/ (make dev checks the new pods with it)"
  [docker]="install the Docker client (Minikube's docker driver needs it): sudo apt-get install docker.io, or https://docs.docker.com/engine/install/"
)
need=(go pulumi)
if $uses_minikube; then need+=(minikube docker); fi
if [[ $cmd == dev ]]; then need+=(kubectl); fi
missing=0
for tool in "${need[@]}"; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    printf '\033[31mmissing: %s\033[0m -> %s\n' "$tool" "${how[$tool]}" >&2
    missing=1
  fi
done
((missing == 0)) || die "install the missing tools above, then run \`make $cmd\` again"

# 2. Minikube running: the release lives there, so destroy needs it as much as up does.
if $uses_minikube; then
  if ! minikube -p "$MINIKUBE_PROFILE" status >/dev/null 2>&1; then
    log "starting Minikube (profile $MINIKUBE_PROFILE)"
    minikube -p "$MINIKUBE_PROFILE" start
  fi
fi

# 3. Local state and the passphrase, both outside the repository. PULUMI_BACKEND_URL leaves
#    the user's own `pulumi login` untouched.
mkdir -p "$PULUMI_TODO_HOME/state"
chmod 700 "$PULUMI_TODO_HOME"
export PULUMI_BACKEND_URL=${PULUMI_BACKEND_URL:-file://$PULUMI_TODO_HOME/state}
if [[ -z ${PULUMI_CONFIG_PASSPHRASE:-} && -z ${PULUMI_CONFIG_PASSPHRASE_FILE:-} ]]; then
  passfile=$PULUMI_TODO_HOME/passphrase
  if [[ ! -s $passfile ]]; then
    log "creating the secrets passphrase in $passfile (keep it: it decrypts this stack's secrets)"
    (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$passfile")
  fi
  chmod 600 "$passfile"
  export PULUMI_CONFIG_PASSPHRASE_FILE=$passfile
fi
export PULUMI_SKIP_UPDATE_CHECK=true

# 4. The stack, created on first use with the passphrase provider.
if ! pulumi stack select "$STACK" >/dev/null 2>&1; then
  log "creating stack $STACK (state in $PULUMI_BACKEND_URL)"
  pulumi stack init "$STACK" --secrets-provider passphrase
fi

# 5. The command. `make dev` is the watcher in deploy/dev: it deploys once, then updates
#    the stack on each saved change until Ctrl-C.
if [[ $cmd == dev ]]; then
  mkdir -p build
  go build -o build/dev ./deploy/dev
  exec build/dev -stack "$STACK" "$@"
fi
# Without a terminal (CI), `up` and `destroy` do not wait for a yes.
args=()
if [[ $cmd != preview && ! -t 0 ]]; then args+=(--yes); fi
pulumi "$cmd" --stack "$STACK" "${args[@]}" "$@"

# 6. How to open the app.
if [[ $cmd == up ]]; then
  open_cmd=$(pulumi stack output openCommand --stack "$STACK" 2>/dev/null || true)
  port=$(pulumi stack output frontendNodePort --stack "$STACK" 2>/dev/null || true)
  echo
  log "the Todo Chatbot is deployed (stack $STACK)"
  if $uses_minikube && [[ -n $port && $port != 0 ]] && ip=$(minikube -p "$MINIKUBE_PROFILE" ip 2>/dev/null); then
    echo "  open http://$ip:$port"
  fi
  [[ -z $open_cmd ]] || echo "  or run: $open_cmd"
fi
