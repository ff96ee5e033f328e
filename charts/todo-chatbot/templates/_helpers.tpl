{{/*
Chart name, truncated to 63 characters (the DNS label limit).
*/}}
{{- define "todo-chatbot.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name: the release name when it already contains the chart name
(release "todo-chatbot" gives "todo-chatbot-backend", not "todo-chatbot-todo-chatbot-...").
*/}}
{{- define "todo-chatbot.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "todo-chatbot.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Selector labels: the immutable subset that Deployments, StatefulSets, Services, PDBs and
NetworkPolicies select on. Call with (dict "ctx" $ "component" "backend").
*/}}
{{- define "todo-chatbot.selectorLabels" -}}
app.kubernetes.io/name: {{ include "todo-chatbot.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/*
The recommended app.kubernetes.io labels. Call with (dict "ctx" $ "component" "backend");
component may be empty for release-wide objects.
*/}}
{{- define "todo-chatbot.labels" -}}
helm.sh/chart: {{ include "todo-chatbot.chart" .ctx }}
app.kubernetes.io/name: {{ include "todo-chatbot.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
app.kubernetes.io/part-of: todo-chatbot
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
{{- end }}

{{- define "todo-chatbot.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "todo-chatbot.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Image reference: repository@digest when a digest is pinned, else repository:tag.
*/}}
{{- define "todo-chatbot.image" -}}
{{- if .digest }}
{{- printf "%s@%s" .repository .digest }}
{{- else }}
{{- printf "%s:%s" .repository (toString .tag) }}
{{- end }}
{{- end }}

{{- define "todo-chatbot.backendURL" -}}
{{- printf "http://%s-backend:%v" (include "todo-chatbot.fullname" .) .Values.backend.service.port }}
{{- end }}

{{/*
Name of the Secret holding DATABASE_URL and GEMINI_API_KEY.
*/}}
{{- define "todo-chatbot.secretName" -}}
{{- if .Values.env.existingSecret }}
{{- .Values.env.existingSecret }}
{{- else }}
{{- printf "%s-secrets" (include "todo-chatbot.fullname" .) }}
{{- end }}
{{- end }}

{{/*
"true" when the in-cluster PostgreSQL runs, else "". postgresql.enabled true/false is the
user's explicit choice; "auto" (the default) means in-cluster unless the user names an
external database (env.secrets.DATABASE_URL or env.existingSecret), so the seed's
`helm install ... --set env.secrets.DATABASE_URL=...` needs no second flag.
*/}}
{{- define "todo-chatbot.postgresql.enabled" -}}
{{- $enabled := .Values.postgresql.enabled }}
{{- if kindIs "bool" $enabled }}
{{- if $enabled }}true{{ end }}
{{- else if not (or .Values.env.secrets.DATABASE_URL .Values.env.existingSecret) }}true
{{- end }}
{{- end }}

{{- define "todo-chatbot.postgresql.fullname" -}}
{{- printf "%s-postgresql" (include "todo-chatbot.fullname" .) }}
{{- end }}

{{/*
The in-cluster PostgreSQL's client Service (ClusterIP), the host in DATABASE_URL.
*/}}
{{- define "todo-chatbot.database.host" -}}
{{- printf "%s-database" (include "todo-chatbot.fullname" .) }}
{{- end }}

{{/*
The in-cluster PostgreSQL pod's securityContext: postgresql.podSecurityContext, except that
an existing StatefulSet keeps the user, group and fsGroup it runs with. The data files
belong to the user that initialised them and PostgreSQL refuses a data directory owned by
another, so a release installed as UID 70 (chart 0.1.x) stays 70 on upgrades; only new
installs (or a fresh volume and StatefulSet) take the values' IDs.
*/}}
{{- define "todo-chatbot.postgresql.podSecurityContext" -}}
{{- $context := deepCopy .Values.postgresql.podSecurityContext }}
{{- $existing := lookup "apps/v1" "StatefulSet" .Release.Namespace (include "todo-chatbot.postgresql.fullname" .) | default dict }}
{{- $running := dig "spec" "template" "spec" "securityContext" dict $existing }}
{{- range $key := list "runAsUser" "runAsGroup" "fsGroup" }}
{{- if hasKey $running $key }}
{{- $_ := set $context $key (index $running $key | int64) }}
{{- end }}
{{- end }}
{{- toYaml $context }}
{{- end }}

{{/*
The in-cluster PostgreSQL's readiness check as an exec command (JSON list): pg_isready over
TCP on the pod's own address, for the chart's role and database.
*/}}
{{- define "todo-chatbot.postgresql.isReady" -}}
{{- list "pg_isready" "--host=127.0.0.1" "--port=5432" (printf "--username=%s" .Values.postgresql.username) (printf "--dbname=%s" .Values.postgresql.database) "--timeout=4" | toJson }}
{{- end }}

{{/*
The in-cluster PostgreSQL password: the one already stored in the cluster (so upgrades keep
it), else a new random one. It is memoized in .Values for the rest of this render, because
the Secrets and the checksum annotations must all see the same value and `include` would
otherwise draw a new random password each time.
*/}}
{{- define "todo-chatbot.postgresql.password" -}}
{{- if not (hasKey .Values.postgresql "generatedPassword") }}
{{- $password := "" }}
{{- $existing := lookup "v1" "Secret" .Release.Namespace (include "todo-chatbot.postgresql.fullname" .) }}
{{- if and $existing $existing.data (hasKey $existing.data "password") }}
{{- $password = index $existing.data "password" | b64dec }}
{{- else }}
{{- $password = randAlphaNum 32 }}
{{- end }}
{{- $_ := set .Values.postgresql "generatedPassword" $password }}
{{- end }}
{{- .Values.postgresql.generatedPassword }}
{{- end }}

{{/*
DATABASE_URL as the application Secret stores it: the external URL from values, or the
in-cluster PostgreSQL's URL.
*/}}
{{- define "todo-chatbot.databaseURL" -}}
{{- if include "todo-chatbot.postgresql.enabled" . }}
{{- printf "postgresql://%s:%s@%s:5432/%s" .Values.postgresql.username (include "todo-chatbot.postgresql.password" .) (include "todo-chatbot.database.host" .) .Values.postgresql.database }}
{{- else }}
{{- .Values.env.secrets.DATABASE_URL }}
{{- end }}
{{- end }}

{{/*
Pod-template annotations that roll the pods when something outside the pod spec changes:
the Secret's content and the image ID (a rebuilt image under the same tag).
Both Deployments carry the checksum, so a secret change rolls the whole app as one
release-wide rollout (the team's contract, checked on a real cluster by tests/cluster).
With env.existingSecret the chart cannot see the values; roll the pods yourself
(kubectl rollout restart) when you change that Secret.
Call with (dict "ctx" $ "image" .Values.backend.image "podAnnotations" ...).
*/}}
{{- define "todo-chatbot.podAnnotations" -}}
{{- if not .ctx.Values.env.existingSecret }}
checksum/secret: {{ include "todo-chatbot.secretData" .ctx | sha256sum }}
{{- end }}
{{- with .image.id }}
todo-chatbot/image-id: {{ . | quote }}
{{- end }}
{{- with .podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
NetworkPolicy egress rule for DNS: port 53 anywhere, so it works whatever serves cluster DNS
(CoreDNS pods, a node-local cache on a link-local address).
*/}}
{{- define "todo-chatbot.networkPolicy.dnsEgress" -}}
- ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
{{- end }}

{{/*
The external database's port for the backend's egress policy: networkPolicy.externalDatabasePort,
else the port of env.secrets.DATABASE_URL, else 5432. The URL is cut by regexes, never
parsed by urlParse, whose errors would print it (password included); only what follows its
last "@" (the host part) is read, so no digit of the password can become the port.
*/}}
{{- define "todo-chatbot.externalDatabasePort" -}}
{{- $port := int .Values.networkPolicy.externalDatabasePort }}
{{- if not $port }}
{{- $hostPort := regexReplaceAll "^[a-z+]+://" .Values.env.secrets.DATABASE_URL "" }}
{{- $hostPort = regexReplaceAll "^.*@" $hostPort "" }}
{{- $hostPort = regexReplaceAll "[/?].*$" $hostPort "" }}
{{- $port = regexFind ":[0-9]+$" $hostPort | trimPrefix ":" | default "5432" | int }}
{{- end }}
{{- $port }}
{{- end }}

{{/*
A Deployment's update strategy from <component>.strategy. rollingUpdate is rendered only
for RollingUpdate (the API server rejects it with Recreate, and Helm merges the default in).
*/}}
{{- define "todo-chatbot.strategy" -}}
strategy:
  type: {{ .type }}
  {{- if eq .type "RollingUpdate" }}
  rollingUpdate:
    maxUnavailable: {{ .rollingUpdate.maxUnavailable }}
    maxSurge: {{ .rollingUpdate.maxSurge }}
  {{- end }}
{{- end }}

{{/*
A Deployment's pod topologySpreadConstraints from <component>.topologySpreadConstraints
(the user's list, as given) or else <component>.topologySpread (one constraint); the
labelSelector is always the component's selector labels unless an entry brings its own.
Nothing when the list is empty and topologySpread is off. Call with
(dict "ctx" $ "component" "backend").
*/}}
{{- define "todo-chatbot.topologySpreadConstraints" -}}
{{- $c := index .ctx.Values .component }}
{{- $selector := dict "matchLabels" (include "todo-chatbot.selectorLabels" . | fromYaml) }}
{{- $constraints := list }}
{{- if $c.topologySpreadConstraints }}
{{- range $c.topologySpreadConstraints }}
{{- $tsc := deepCopy . }}
{{- if not $tsc.labelSelector }}
{{- $_ := set $tsc "labelSelector" $selector }}
{{- end }}
{{- $constraints = append $constraints $tsc }}
{{- end }}
{{- else if $c.topologySpread.enabled }}
{{- $s := $c.topologySpread }}
{{- $tsc := dict "maxSkew" $s.maxSkew "topologyKey" $s.topologyKey "whenUnsatisfiable" $s.whenUnsatisfiable "labelSelector" $selector }}
{{- with $s.matchLabelKeys }}
{{- $_ := set $tsc "matchLabelKeys" . }}
{{- end }}
{{- $constraints = append $constraints $tsc }}
{{- end }}
{{- with $constraints }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
The container's preStop hook: wait while endpoint removal reaches kube-proxy and the
callers, before the server gets SIGTERM. The kubelet's own `sleep` action (Kubernetes
>= 1.30), so it needs no binary in the image. Call with the component's values.
*/}}
{{- define "todo-chatbot.preStop" -}}
{{- with .preStopSleepSeconds }}
lifecycle:
  preStop:
    sleep:
      seconds: {{ . }}
{{- end }}
{{- end }}

{{/*
Checks that the values are consistent as a whole (the schema checks each key alone).
*/}}
{{- define "todo-chatbot.validate" -}}
{{- $v := .Values }}
{{- /* Only an explicit true contradicts an external database; "auto" gives way to it. */}}
{{- $forcedInCluster := and (kindIs "bool" $v.postgresql.enabled) $v.postgresql.enabled }}
{{- if and $forcedInCluster $v.env.secrets.DATABASE_URL }}
{{- fail "env.secrets.DATABASE_URL is set while postgresql.enabled is true: leave postgresql.enabled at auto (or set it to false) to use your external database, or clear env.secrets.DATABASE_URL to use the in-cluster PostgreSQL" }}
{{- end }}
{{- if and $forcedInCluster $v.env.existingSecret }}
{{- fail "env.existingSecret is set while postgresql.enabled is true: the in-cluster PostgreSQL's URL can only go into the chart's own Secret; leave postgresql.enabled at auto (or set it to false) when your Secret holds DATABASE_URL, or clear env.existingSecret" }}
{{- end }}
{{- if and (not (include "todo-chatbot.postgresql.enabled" .)) (not $v.env.existingSecret) (not $v.env.secrets.DATABASE_URL) }}
{{- fail "env.secrets.DATABASE_URL is empty while postgresql.enabled is false: set it to your PostgreSQL URL (postgresql://user:password@host:5432/db), or set postgresql.enabled=auto (or true) for an in-cluster database, or env.existingSecret to a Secret you manage" }}
{{- end }}
{{- with $v.env.secrets.DATABASE_URL }}
{{- if not (regexMatch "^(postgresql|postgres|postgresql\\+psycopg)://|^sqlite:///" .) }}
{{- /* Never echo the URL: it holds the password. */}}
{{- fail "env.secrets.DATABASE_URL must start with postgresql://, postgres://, postgresql+psycopg:// or sqlite:/// (the value is not shown because it may hold a password)" }}
{{- end }}
{{- end }}
{{- if and $v.env.existingSecret (or $v.env.secrets.DATABASE_URL $v.env.secrets.GEMINI_API_KEY) }}
{{- fail "env.secrets.* is set together with env.existingSecret, which would ignore it: put the values into your Secret, or clear env.existingSecret" }}
{{- end }}
{{- if and $v.frontend.service.nodePort (eq $v.frontend.service.type "ClusterIP") }}
{{- fail "frontend.service.nodePort is set but frontend.service.type is ClusterIP, which has no node port: use type NodePort (or LoadBalancer), or remove nodePort" }}
{{- end }}
{{- range $component := list "backend" "frontend" }}
{{- $c := index $v $component }}
{{- if ge (int $c.preStopSleepSeconds) (int $c.terminationGracePeriodSeconds) }}
{{- fail (printf "%s.preStopSleepSeconds (%v) must be shorter than %s.terminationGracePeriodSeconds (%v), which also has to cover the server's graceful shutdown: raise the grace period or shorten the sleep" $component $c.preStopSleepSeconds $component $c.terminationGracePeriodSeconds) }}
{{- end }}
{{- with $c.strategy.rollingUpdate }}
{{- if and (eq $c.strategy.type "RollingUpdate") (regexMatch "^0%?$" (toString .maxUnavailable)) (regexMatch "^0%?$" (toString .maxSurge)) }}
{{- fail (printf "%s.strategy.rollingUpdate: maxUnavailable and maxSurge are both 0, so a rollout could never start: set maxSurge to 1 (keeps capacity) or maxUnavailable to 1" $component) }}
{{- end }}
{{- end }}
{{- $a := index $v $component "autoscaling" }}
{{- if and $a.enabled (gt (int $a.minReplicas) (int $a.maxReplicas)) }}
{{- fail (printf "%s.autoscaling.minReplicas (%v) is greater than %s.autoscaling.maxReplicas (%v): lower minReplicas or raise maxReplicas" $component $a.minReplicas $component $a.maxReplicas) }}
{{- end }}
{{- end }}
{{- if and $v.metrics.enabled (has (int $v.metrics.port) (list 8000 3000)) }}
{{- fail (printf "metrics.port is %v, an app port: the metrics listener needs a port of its own (e.g. 9090) so the app's Service never exposes /metrics" $v.metrics.port) }}
{{- end }}
{{- if $v.ingress.enabled }}
{{- $hosts := list }}
{{- range $v.ingress.hosts }}{{ $hosts = append $hosts (.host | default "") }}{{ end }}
{{- range $i, $tls := $v.ingress.tls }}
{{- range $tls.hosts }}
{{- if not (has . $hosts) }}
{{- fail (printf "ingress.tls[%d].hosts names %s, which no ingress.hosts entry serves: add it to ingress.hosts, or remove it from ingress.tls" $i .) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/*
METRICS_PORT and LOG_FORMAT, the same for both apps (and the backend's migrations, which
only log). METRICS_PORT=0 when metrics are off: the apps' own default would open the
listener.
*/}}
{{- define "todo-chatbot.observabilityEnv" }}
- name: METRICS_PORT
  value: {{ ternary .Values.metrics.port 0 .Values.metrics.enabled | quote }}
- name: LOG_FORMAT
  value: {{ .Values.logs.format | quote }}
{{- end }}

{{/*
The `metrics` container port of an app, when metrics are on (the NetworkPolicies and the
Services refer to it by name).
*/}}
{{- define "todo-chatbot.metricsContainerPort" -}}
{{- if .Values.metrics.enabled }}
- name: metrics
  containerPort: {{ .Values.metrics.port }}
  protocol: TCP
{{- end }}
{{- end }}

{{/*
The ingress rule of an app's metrics port: metrics.allowedFrom only. Nothing at all when
the list is empty, because a rule with no `from` would admit every source.
*/}}
{{- define "todo-chatbot.networkPolicy.metricsIngress" -}}
{{- if and .Values.metrics.enabled .Values.metrics.allowedFrom }}
- from:
    {{- toYaml .Values.metrics.allowedFrom | nindent 4 }}
  ports:
    - port: metrics
      protocol: TCP
{{- end }}
{{- end }}
