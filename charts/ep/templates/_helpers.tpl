{{/* The services of EP, by component name. A component's values live under its camel-cased name. */}}
{{- define "ep.components" -}}
measurement-store upload-ingest query-api notifier
{{- end -}}

{{- define "ep.valuesKey" -}}
{{- . | camelcase | untitle -}}
{{- end -}}

{{- define "ep.image" -}}
{{- $root := index . 0 -}}{{- $component := index . 1 -}}
{{- printf "%s/%s:%s" $root.Values.global.image.repository $component (default $root.Chart.AppVersion $root.Values.global.image.tag) -}}
{{- end -}}

{{- define "ep.labels" -}}
{{- $root := index . 0 -}}{{- $component := index . 1 -}}
app.kubernetes.io/name: ep
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ $component }}
app.kubernetes.io/version: {{ $root.Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" $root.Chart.Name $root.Chart.Version }}
{{- end -}}

{{- define "ep.selector" -}}
{{- $root := index . 0 -}}{{- $component := index . 1 -}}
app.kubernetes.io/name: ep
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ $component }}
{{- end -}}

{{/* Shared env (global.env), the component's own env, and the secret. */}}
{{- define "ep.env" -}}
{{- $root := index . 0 -}}{{- $values := index . 1 -}}
{{- range $name, $value := merge (dict) $values.env $root.Values.global.env }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- range $name := list "DATABASE_URL" "AMQP_URL" "MQTT_PASSWORD" "EP_BOOTSTRAP_ADMIN_KEY" }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef: { name: {{ $root.Values.global.secretName }}, key: {{ $name }}, optional: true }
{{- end }}
{{- end -}}
