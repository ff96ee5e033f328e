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

{{- define "todo-chatbot.postgresql.fullname" -}}
{{- printf "%s-postgresql" (include "todo-chatbot.fullname" .) }}
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
{{- if .Values.postgresql.enabled }}
{{- printf "postgresql://%s:%s@%s:5432/%s" .Values.postgresql.username (include "todo-chatbot.postgresql.password" .) (include "todo-chatbot.postgresql.fullname" .) .Values.postgresql.database }}
{{- else }}
{{- .Values.env.secrets.DATABASE_URL }}
{{- end }}
{{- end }}

{{/*
The application Secret's data, shared by secrets.yaml and the checksum/secret annotation
so that the checksum changes exactly when a secret value does.
*/}}
{{- define "todo-chatbot.secretData" -}}
DATABASE_URL: {{ include "todo-chatbot.databaseURL" . | b64enc | quote }}
GEMINI_API_KEY: {{ .Values.env.secrets.GEMINI_API_KEY | default "" | b64enc | quote }}
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
Checks that the values are consistent as a whole (the schema checks each key alone).
*/}}
{{- define "todo-chatbot.validate" -}}
{{- $v := .Values }}
{{- if and $v.postgresql.enabled $v.env.secrets.DATABASE_URL }}
{{- fail "env.secrets.DATABASE_URL is set while postgresql.enabled is true: set postgresql.enabled=false to use your external database, or clear env.secrets.DATABASE_URL to use the in-cluster PostgreSQL" }}
{{- end }}
{{- if and $v.postgresql.enabled $v.env.existingSecret }}
{{- fail "env.existingSecret is set while postgresql.enabled is true: the in-cluster PostgreSQL's URL can only go into the chart's own Secret; set postgresql.enabled=false (your Secret holds DATABASE_URL) or clear env.existingSecret" }}
{{- end }}
{{- if and (not $v.postgresql.enabled) (not $v.env.existingSecret) (not $v.env.secrets.DATABASE_URL) }}
{{- fail "env.secrets.DATABASE_URL is empty: set it to your PostgreSQL URL (postgresql://user:password@host:5432/db), or set postgresql.enabled=true for an in-cluster database, or env.existingSecret to a Secret you manage" }}
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
{{- $a := index $v $component "autoscaling" }}
{{- if and $a.enabled (gt (int $a.minReplicas) (int $a.maxReplicas)) }}
{{- fail (printf "%s.autoscaling.minReplicas (%v) is greater than %s.autoscaling.maxReplicas (%v): lower minReplicas or raise maxReplicas" $component $a.minReplicas $component $a.maxReplicas) }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The environment shared by the backend container and its migrations initContainer.
*/}}
{{- define "todo-chatbot.backendEnv" -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "todo-chatbot.secretName" . }}
      key: DATABASE_URL
- name: GEMINI_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "todo-chatbot.secretName" . }}
      key: GEMINI_API_KEY
      # A user-managed Secret may leave it out: the assistant then runs offline.
      optional: true
{{- with .Values.backend.geminiModel }}
- name: GEMINI_MODEL
  value: {{ . | quote }}
{{- end }}
{{- with .Values.backend.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}
