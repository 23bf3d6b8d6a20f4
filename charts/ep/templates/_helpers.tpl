{{/*
The services of EP, by component name, written once: folder = package = image = chart component, and
camel-cased, the values key. tools/chart-test checks that values.yaml, values.schema.json,
skaffold.yaml and services/ agree with this list.
*/}}
{{- define "ep.components" -}}
gateway-poller upload-ingest teststand-handler measurement-store query-api notifier
{{- end -}}

{{- define "ep.componentList" -}}
{{- splitList " " (include "ep.components" .) | toJson -}}
{{- end -}}

{{/* "query-api" → "queryApi". */}}
{{- define "ep.valuesKey" -}}
{{- . | camelcase | untitle -}}
{{- end -}}

{{/* <release>-<component>, cut to the 63 characters of a DNS label (Service names, label values). */}}
{{- define "ep.fullname" -}}
{{- $root := index . 0 -}}{{- $component := index . 1 -}}
{{- printf "%s-%s" $root.Release.Name $component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "ep.image" -}}
{{- $root := index . 0 -}}{{- $component := index . 1 -}}
{{- $image := $root.Values.global.image -}}
{{- printf "%s/%s:%s" $image.registry $component (default $root.Chart.AppVersion $image.tag) -}}
{{- end -}}

{{- define "ep.selector" -}}
{{- $root := index . 0 -}}{{- $component := index . 1 -}}
app.kubernetes.io/name: ep
app.kubernetes.io/instance: {{ $root.Release.Name | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/component: {{ $component }}
{{- end -}}

{{- define "ep.labels" -}}
{{- $root := index . 0 -}}
{{ include "ep.selector" . }}
app.kubernetes.io/version: {{ $root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ $root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" $root.Chart.Name $root.Chart.Version | replace "+" "_" | trunc 63 }}
{{- end -}}

{{- define "ep.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (printf "%s-ep" .Release.Name | trunc 63 | trimSuffix "-") .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The Secret a component reads its credentials from: its own, never another component's. */}}
{{- define "ep.secretName" -}}
{{- $root := index . 0 -}}{{- $component := index . 1 -}}{{- $values := index . 2 -}}
{{- default (include "ep.fullname" (list $root $component)) $values.secret.name -}}
{{- end -}}

{{/*
Pod Security "restricted": a numeric non-root user matching the image's USER, no privilege
escalation, no capabilities, the runtime's default seccomp profile, a read-only root filesystem.
*/}}
{{- define "ep.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .runAsUser }}
runAsGroup: {{ .runAsGroup }}
fsGroup: {{ .runAsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "ep.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .runAsUser }}
runAsGroup: {{ .runAsGroup }}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/*
A component's environment: the shared values it names (global.env), its own, the replica count
where the service sizes a consumer by it, and each secret key from its own Secret — required: a
missing Secret or key keeps the pod from starting instead of running on the code's defaults.
*/}}
{{- define "ep.env" -}}
{{- $root := index . 0 -}}{{- $component := index . 1 -}}{{- $values := index . 2 -}}
{{- range $name := $values.sharedEnv }}
{{- $value := index $root.Values.global.env $name | default "" }}
{{- if and (eq $name "MQTT_URL") (not $value) $root.Values.mosquitto.enabled }}
{{- $value = printf "mqtt://%s:%v" (include "ep.fullname" (list $root "mosquitto")) $root.Values.mosquitto.ports.mqtt }}
{{- end }}
{{- /* query-api forwards the explorer's uploads to upload-ingest's Service. */ -}}
{{- if and (eq $name "UPLOAD_INGEST_URL") (not $value) $root.Values.uploadIngest.enabled }}
{{- $value = printf "http://%s:%v" (include "ep.fullname" (list $root "upload-ingest")) $root.Values.uploadIngest.port }}
{{- end }}
{{- if $value }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- end }}
{{- range $name, $value := $values.env }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- with $values.replicasEnv }}
- name: {{ . }}
  value: {{ ternary $values.autoscaling.maxReplicas $values.replicas $values.autoscaling.enabled | quote }}
{{- end }}
{{- $secretName := include "ep.secretName" (list $root $component $values) }}
{{- range $key := $values.secret.keys }}
- name: {{ $key }}
  valueFrom:
    secretKeyRef:
      name: {{ $secretName }}
      key: {{ $key }}
{{- end }}
{{- end -}}

{{- define "ep.topologySpread" -}}
{{- $root := index . 0 -}}{{- $component := index . 1 -}}
{{- with $root.Values.global.topologySpread }}
{{- if .enabled }}
topologySpreadConstraints:
  {{- range $key := .topologyKeys }}
  - maxSkew: 1
    topologyKey: {{ $key }}
    whenUnsatisfiable: {{ $root.Values.global.topologySpread.whenUnsatisfiable }}
    labelSelector:
      matchLabels: {{- include "ep.selector" (list $root $component) | nindent 8 }}
  {{- end }}
{{- end }}
{{- end }}
{{- end -}}
