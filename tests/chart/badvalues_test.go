package chart

import (
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/cli/values"
)

// TestBadValues: each kind of mistake fails `helm install` with a message that names the
// key (values.schema.json for a key alone, the chart's validate helper across keys).
func TestBadValues(t *testing.T) {
	cases := []struct {
		name string
		opts values.Options
		want []string
	}{
		{"negative replicas", values.Options{Values: []string{"backend.replicaCount=-1"}},
			[]string{"/backend/replicaCount", "minimum"}},
		{"replicas of the wrong type", values.Options{StringValues: []string{"frontend.replicaCount=three"}},
			[]string{"/frontend/replicaCount", "integer"}},
		{"unknown pull policy", values.Options{Values: []string{"backend.image.pullPolicy=Sometimes"}},
			[]string{"/backend/image/pullPolicy", "IfNotPresent"}},
		{"misspelled top-level key", values.Options{Values: []string{"bakend.replicaCount=2"}},
			[]string{"bakend", "not allowed"}},
		{"misspelled nested key", values.Options{Values: []string{"frontend.replicas=2"}},
			[]string{"/frontend", "replicas", "not allowed"}},
		{"neither boolean nor auto", values.Options{StringValues: []string{"postgresql.enabled=yes"}},
			[]string{"/postgresql/enabled", "auto"}},
		{"node port out of range", values.Options{Values: []string{"frontend.service.nodePort=80"}},
			[]string{"/frontend/service/nodePort", "minimum"}},
		{"unknown service type", values.Options{Values: []string{"frontend.service.type=Ingress"}},
			[]string{"/frontend/service/type"}},
		{"malformed digest", values.Options{Values: []string{"backend.image.digest=latest"}},
			[]string{"/backend/image/digest"}},
		{"non-Postgres DATABASE_URL", values.Options{Values: []string{"postgresql.enabled=false"}, StringValues: []string{"env.secrets.DATABASE_URL=mysql://todo:" + fakeDBPassword + "@db/todo"}},
			[]string{"env.secrets.DATABASE_URL", "postgresql://"}},
		{"empty image repository", values.Options{StringValues: []string{"frontend.image.repository="}},
			[]string{"/frontend/image/repository"}},
		{"CPU target over 100%", values.Options{Values: []string{"backend.autoscaling.targetCPUUtilizationPercentage=150"}},
			[]string{"/backend/autoscaling/targetCPUUtilizationPercentage"}},
		{"no database at all", values.Options{Values: []string{"postgresql.enabled=false"}},
			[]string{"env.secrets.DATABASE_URL is empty", "postgresql.enabled=auto", "env.existingSecret"}},
		{"external URL and a forced in-cluster database", values.Options{Values: []string{"postgresql.enabled=true"}, StringValues: []string{"env.secrets.DATABASE_URL=" + fakeDBURL}},
			[]string{"env.secrets.DATABASE_URL", "postgresql.enabled is true", "auto"}},
		{"existing Secret and a forced in-cluster database", values.Options{Values: []string{"postgresql.enabled=true"}, StringValues: []string{"env.existingSecret=mine"}},
			[]string{"env.existingSecret", "postgresql.enabled is true", "auto"}},
		{"preStop sleep not shorter than the grace period", values.Options{Values: []string{"frontend.preStopSleepSeconds=40", "frontend.terminationGracePeriodSeconds=30"}},
			[]string{"frontend.preStopSleepSeconds", "frontend.terminationGracePeriodSeconds"}},
		{"rollout that can never start", values.Options{Values: []string{"backend.strategy.rollingUpdate.maxUnavailable=0", "backend.strategy.rollingUpdate.maxSurge=0"}},
			[]string{"backend.strategy.rollingUpdate", "maxSurge"}},
		{"unknown strategy type", values.Options{Values: []string{"backend.strategy.type=BlueGreen"}},
			[]string{"/backend/strategy/type"}},
		{"malformed maxSurge", values.Options{StringValues: []string{"frontend.strategy.rollingUpdate.maxSurge=one"}},
			[]string{"/frontend/strategy/rollingUpdate/maxSurge"}},
		{"negative preStop sleep", values.Options{Values: []string{"backend.preStopSleepSeconds=-1"}},
			[]string{"/backend/preStopSleepSeconds", "minimum"}},
		{"external database port out of range", values.Options{Values: []string{"networkPolicy.externalDatabasePort=70000"}},
			[]string{"/networkPolicy/externalDatabasePort"}},
		{"existing Secret and env.secrets", values.Options{Values: []string{"postgresql.enabled=false"}, StringValues: []string{"env.existingSecret=mine", "env.secrets.GEMINI_API_KEY=" + fakeGeminiKey}},
			[]string{"env.secrets", "env.existingSecret"}},
		{"node port on a ClusterIP Service", values.Options{Values: []string{"frontend.service.type=ClusterIP", "frontend.service.nodePort=30080"}},
			[]string{"frontend.service.nodePort", "ClusterIP"}},
		{"unknown whenUnsatisfiable", values.Options{Values: []string{"backend.topologySpread.whenUnsatisfiable=Never"}},
			[]string{"/backend/topologySpread/whenUnsatisfiable", "ScheduleAnyway", "DoNotSchedule"}},
		{"maxSkew 0", values.Options{Values: []string{"frontend.topologySpread.maxSkew=0"}},
			[]string{"/frontend/topologySpread/maxSkew", "minimum"}},
		{"misspelled topologySpread key", values.Options{Values: []string{"frontend.topologySpread.topologykey=zone"}},
			[]string{"/frontend/topologySpread", "topologykey", "not allowed"}},
		{"own spread constraint without topologyKey", values.Options{JSONValues: []string{`backend.topologySpreadConstraints=[{"maxSkew":1,"whenUnsatisfiable":"DoNotSchedule"}]`}},
			[]string{"/backend/topologySpreadConstraints/0", "topologyKey"}},
		{"own spread constraint with maxSkew 0", values.Options{JSONValues: []string{`frontend.topologySpreadConstraints=[{"maxSkew":0,"topologyKey":"kubernetes.io/hostname","whenUnsatisfiable":"ScheduleAnyway"}]`}},
			[]string{"/frontend/topologySpreadConstraints/0/maxSkew", "minimum"}},
		{"autoscaling min above max", values.Options{Values: []string{"backend.autoscaling.enabled=true", "backend.autoscaling.minReplicas=6", "backend.autoscaling.maxReplicas=3"}},
			[]string{"backend.autoscaling.minReplicas", "backend.autoscaling.maxReplicas"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := render(t, nil, c.opts)
			if err == nil {
				t.Fatalf("values %+v rendered without error", c.opts)
			}
			for _, want := range c.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not mention %q:\n%v", want, err)
				}
			}
			for _, secret := range []string{fakeDBPassword, fakeGeminiKey} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error message reveals a secret value")
				}
			}
		})
	}
}
