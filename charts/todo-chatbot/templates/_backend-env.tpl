{{/*
The backend's environment, in one file: the variables both the backend container and its
migrations initContainer get, and the application Secret's data behind the secret ones.
A setting that reaches the backend as an environment variable is added here (see the
README's "Add a setting that reaches the chart").
*/}}

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
{{- include "todo-chatbot.observabilityEnv" . }}
{{- with .Values.backend.geminiModel }}
- name: GEMINI_MODEL
  value: {{ . | quote }}
{{- end }}
{{- with .Values.backend.extraEnv }}
{{ toYaml . }}
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
