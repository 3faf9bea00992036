package connect

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/connectsync/connectsync/object"
)

// ServerInfo is a worker's answer to GET /.
type ServerInfo struct {
	Version        string `json:"version"`
	Commit         string `json:"commit"`
	KafkaClusterID string `json:"kafka_cluster_id"`
}

// Connector is one connector as GET /connectors?expand=info&expand=status
// reports it.
type Connector struct {
	Name string
	Type string // "sink", "source" or "unknown"; "" if the worker sent neither info nor status
	// Config is the stored config exactly as the worker returns it (with the
	// "name" key Connect adds). It is nil when the worker had no info for the
	// connector, as happens while it is being created or deleted.
	Config map[string]string
	Tasks  []int // task ids from info.tasks
	// Status is the zero ConnectorStatus (State "") when the worker sent none.
	Status ConnectorStatus
}

// ConnectorStatus is a connector's state and its tasks' states.
type ConnectorStatus struct {
	State    object.State
	WorkerID string
	Trace    string // scrubbed
	Tasks    []TaskStatus
}

// TaskStatus is one task's state.
type TaskStatus struct {
	ID       int
	State    object.State
	WorkerID string
	Trace    string // scrubbed
}

// Plugin is an installed connector plugin.
type Plugin struct {
	Class   string `json:"class"`
	Type    string `json:"type"`
	Version string `json:"version"`
}

// ConfigKey is one config definition of a plugin (ConfigKeyInfo in Connect).
// Type "PASSWORD" marks a secret.
type ConfigKey struct {
	Name          string   `json:"name"`
	Type          string   `json:"type"`
	Required      bool     `json:"required"`
	Default       *string  `json:"default_value"`
	Importance    string   `json:"importance"`
	Documentation string   `json:"documentation"`
	Group         string   `json:"group"`
	Order         int      `json:"order"`
	Width         string   `json:"width"`
	DisplayName   string   `json:"display_name"`
	Dependents    []string `json:"dependents"`
}

// Validation is the worker's verdict on a config, without saving it.
type Validation struct {
	Name       string
	ErrorCount int
	Groups     []string
	Configs    []ValidatedKey
}

// ValidatedKey is one key of a Validation. The worker returns PASSWORD
// values as "[hidden]".
type ValidatedKey struct {
	Name              string
	Value             *string
	Errors            []string // scrubbed
	RecommendedValues []string
	Visible           bool
	Definition        ConfigKey
}

// escape makes a connector name or plugin class one path segment.
func escape(s string) string { return url.PathEscape(s) }

func connectorPath(name string, rest ...string) string {
	p := "/connectors/" + escape(name)
	for _, r := range rest {
		p += "/" + r
	}
	return p
}

// ServerInfo reads GET /.
func (c *Client) ServerInfo(ctx context.Context) (ServerInfo, error) {
	var info ServerInfo
	_, err := c.do(ctx, request{method: http.MethodGet, path: "/", out: &info})
	info.Version, info.Commit, info.KafkaClusterID = c.clean(info.Version), c.clean(info.Commit), c.clean(info.KafkaClusterID)
	return info, err
}

type wireState struct {
	State    string `json:"state"`
	WorkerID string `json:"worker_id"`
	Trace    string `json:"trace"`
}

type wireTaskState struct {
	ID int `json:"id"`
	wireState
}

// The wire types hold what connectsync reads of a worker's answer; the
// names an answer repeats (status.name, info.name, info.tasks[].connector)
// are left out.
type wireStatus struct {
	Connector wireState       `json:"connector"`
	Tasks     []wireTaskState `json:"tasks"`
	Type      string          `json:"type"`
}

type wireInfo struct {
	Config map[string]string `json:"config"`
	Tasks  []wireTask        `json:"tasks"`
	Type   string            `json:"type"`
}

type wireTask struct {
	Task int `json:"task"`
}

func (c *Client) status(w *wireStatus) ConnectorStatus {
	s := ConnectorStatus{
		State:    object.State(w.Connector.State),
		WorkerID: c.clean(w.Connector.WorkerID),
		Trace:    c.scrubTrace(w.Connector.Trace),
	}
	for _, t := range w.Tasks {
		s.Tasks = append(s.Tasks, TaskStatus{ID: t.ID, State: object.State(t.State), WorkerID: c.clean(t.WorkerID), Trace: c.scrubTrace(t.Trace)})
	}
	return s
}

func (c *Client) scrubTrace(s string) string {
	if s == "" {
		return ""
	}
	return c.clean(s)
}

// Connectors reads every connector's config, tasks and status in ONE
// request: GET /connectors?expand=info&expand=status (Kafka 2.3+). The answer
// comes from the receiving worker's snapshot and can lag a write briefly.
func (c *Client) Connectors(ctx context.Context) (map[string]Connector, error) {
	out := map[string]Connector{}
	// The answer is decoded connector by connector as it arrives, into the
	// compact Connector: neither the raw body nor the generic wire map of
	// a cluster of thousands of connectors is ever held whole.
	stream := func(body io.Reader) error {
		return decodeExpand(body, func(name string, w *wireConnector) {
			out[name] = c.connector(name, w)
		})
	}
	_, err := c.do(ctx, request{method: http.MethodGet, path: "/connectors?expand=info&expand=status", stream: stream})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// wireConnector is one connector of the expand answer.
type wireConnector struct {
	Info   *wireInfo   `json:"info"`
	Status *wireStatus `json:"status"`
}

func (c *Client) connector(name string, w *wireConnector) Connector {
	conn := Connector{Name: name}
	if w.Info != nil {
		conn.Type = w.Info.Type
		conn.Config = w.Info.Config
		if conn.Config == nil {
			conn.Config = map[string]string{}
		}
		for _, t := range w.Info.Tasks {
			conn.Tasks = append(conn.Tasks, t.Task)
		}
	}
	if w.Status != nil {
		if conn.Type == "" {
			conn.Type = w.Status.Type
		}
		conn.Status = c.status(w.Status)
	}
	return conn
}

// Plugins lists the connector plugins installed on the worker:
// GET /connector-plugins.
func (c *Client) Plugins(ctx context.Context) ([]Plugin, error) {
	var ps []Plugin
	_, err := c.do(ctx, request{method: http.MethodGet, path: "/connector-plugins", out: &ps})
	return ps, err
}

// PluginConfig lists a plugin's config definitions:
// GET /connector-plugins/{class}/config (Kafka 3.2+, KIP-769; older workers
// answer 404). Keys typed PASSWORD are secrets.
func (c *Client) PluginConfig(ctx context.Context, class string) ([]ConfigKey, error) {
	var keys []ConfigKey
	_, err := c.do(ctx, request{method: http.MethodGet, path: "/connector-plugins/" + escape(class) + "/config", out: &keys})
	return keys, err
}

// Validate asks the worker to validate cfg for the plugin class without
// saving it: PUT /connector-plugins/{class}/config/validate. connector.class
// is set to class when cfg lacks it (the worker requires it).
func (c *Client) Validate(ctx context.Context, class string, cfg map[string]string) (*Validation, error) {
	body := make(map[string]string, len(cfg)+1)
	for k, v := range cfg {
		body[k] = v
	}
	if _, ok := body["connector.class"]; !ok {
		body["connector.class"] = class
	}
	var wire struct {
		Name       string   `json:"name"`
		ErrorCount int      `json:"error_count"`
		Groups     []string `json:"groups"`
		Configs    []struct {
			Definition ConfigKey `json:"definition"`
			Value      struct {
				Name              string   `json:"name"`
				Value             *string  `json:"value"`
				RecommendedValues []string `json:"recommended_values"`
				Errors            []string `json:"errors"`
				Visible           bool     `json:"visible"`
			} `json:"value"`
		} `json:"configs"`
	}
	path := "/connector-plugins/" + escape(class) + "/config/validate"
	if _, err := c.do(ctx, request{method: http.MethodPut, path: path, body: body, out: &wire}); err != nil {
		return nil, err
	}
	v := &Validation{Name: wire.Name, ErrorCount: wire.ErrorCount, Groups: wire.Groups}
	for _, k := range wire.Configs {
		vk := ValidatedKey{
			Name:              k.Value.Name,
			Value:             k.Value.Value,
			RecommendedValues: k.Value.RecommendedValues,
			Visible:           k.Value.Visible,
			Definition:        k.Definition,
		}
		if vk.Name == "" {
			vk.Name = k.Definition.Name
		}
		for _, e := range k.Value.Errors {
			vk.Errors = append(vk.Errors, c.clean(e))
		}
		v.Configs = append(v.Configs, vk)
	}
	return v, nil
}

// PutConfig creates or updates a connector: PUT /connectors/{name}/config.
// The worker answers 201 when it created the connector and 200 when it
// updated it. It is idempotent, so it is retried.
func (c *Client) PutConfig(ctx context.Context, name string, cfg map[string]string) (created bool, err error) {
	if cfg == nil {
		cfg = map[string]string{}
	}
	out, err := c.do(ctx, request{method: http.MethodPut, connector: name, path: connectorPath(name, "config"), body: cfg})
	if err != nil {
		return false, err
	}
	return out.status == http.StatusCreated, nil
}

// Create creates a connector with POST /connectors, in initialState
// (RUNNING, PAUSED or STOPPED; "" leaves it out, for workers before 3.7).
//
// POST is not idempotent. Create retries only failures the worker answered
// without applying anything, or that may not have reached it; a 409
// "already exists" is never retried and matches errors.Is(err,
// ErrAlreadyExists). When an earlier attempt of the same call was uncertain
// (a timeout or dropped connection), the returned *Error has
// AfterUncertainAttempt set: the connector is probably this call's own.
// Prefer PutConfig, which is idempotent, unless initialState is needed.
func (c *Client) Create(ctx context.Context, name string, cfg map[string]string, initialState object.State) error {
	if initialState != object.StateAbsent && !initialState.Desirable() {
		return fmt.Errorf("connect: create %s: initial state %q: want %s, %s or %s", name, initialState,
			object.StateRunning, object.StatePaused, object.StateStopped)
	}
	if cfg == nil {
		cfg = map[string]string{}
	}
	body := struct {
		Name         string            `json:"name"`
		Config       map[string]string `json:"config"`
		InitialState object.State      `json:"initial_state,omitempty"`
	}{name, cfg, initialState}
	out, err := c.do(ctx, request{method: http.MethodPost, path: "/connectors", connector: name, body: body})
	if err != nil && out.unsure {
		if e, ok := asError(err); ok && e.classify().alreadyExists {
			e.AfterUncertainAttempt = true
		}
	}
	return err
}

// Config reads a connector's stored config: GET /connectors/{name}/config.
func (c *Client) Config(ctx context.Context, name string) (map[string]string, error) {
	var cfg map[string]string
	_, err := c.do(ctx, request{method: http.MethodGet, connector: name, path: connectorPath(name, "config"), out: &cfg})
	return cfg, err
}

// TaskConfigs reads the configs the connector generated for its tasks, by task
// id: GET /connectors/{name}/tasks. After a config write they change only once
// the connector has been reconfigured, so they tell whether the running tasks
// can have the new config.
func (c *Client) TaskConfigs(ctx context.Context, name string) ([]map[string]string, error) {
	var tasks []struct {
		Config map[string]string `json:"config"`
	}
	if _, err := c.do(ctx, request{method: http.MethodGet, connector: name, path: connectorPath(name, "tasks"), out: &tasks}); err != nil {
		return nil, err
	}
	out := make([]map[string]string, len(tasks))
	for i, t := range tasks {
		out[i] = t.Config
	}
	return out, nil
}

// Status reads a connector's status: GET /connectors/{name}/status. Right
// after a create it can answer 404 for a moment (IsNotFound); that is not
// retried here, since the caller polls.
func (c *Client) Status(ctx context.Context, name string) (ConnectorStatus, error) {
	var w wireStatus
	if _, err := c.do(ctx, request{method: http.MethodGet, connector: name, path: connectorPath(name, "status"), out: &w}); err != nil {
		return ConnectorStatus{}, err
	}
	return c.status(&w), nil
}

// Pause pauses a connector and its tasks: PUT /connectors/{name}/pause (202).
func (c *Client) Pause(ctx context.Context, name string) error {
	_, err := c.do(ctx, request{method: http.MethodPut, connector: name, path: connectorPath(name, "pause")})
	return err
}

// Resume resumes a paused or stopped connector: PUT /connectors/{name}/resume (202).
func (c *Client) Resume(ctx context.Context, name string) error {
	_, err := c.do(ctx, request{method: http.MethodPut, connector: name, path: connectorPath(name, "resume")})
	return err
}

// Stop stops a connector and shuts its tasks down: PUT /connectors/{name}/stop
// (204; Kafka 3.5+, KIP-875).
func (c *Client) Stop(ctx context.Context, name string) error {
	_, err := c.do(ctx, request{method: http.MethodPut, connector: name, path: connectorPath(name, "stop")})
	return err
}

// Restart restarts a connector, and with includeTasks its tasks, only the
// failed ones with onlyFailed: POST /connectors/{name}/restart (Kafka 3.0+,
// KIP-745, for the query parameters).
func (c *Client) Restart(ctx context.Context, name string, includeTasks, onlyFailed bool) error {
	q := url.Values{}
	q.Set("includeTasks", strconv.FormatBool(includeTasks))
	q.Set("onlyFailed", strconv.FormatBool(onlyFailed))
	_, err := c.do(ctx, request{method: http.MethodPost, connector: name, path: connectorPath(name, "restart") + "?" + q.Encode()})
	return err
}

// Delete deletes a connector: DELETE /connectors/{name} (204). A 404 means
// it is already gone, which counts as done.
func (c *Client) Delete(ctx context.Context, name string) error {
	_, err := c.do(ctx, request{method: http.MethodDelete, connector: name, path: connectorPath(name)})
	if IsNotFound(err) {
		return nil
	}
	return err
}

// jsonKind names the kind of a JSON token, as json's own errors do, without
// its value.
func jsonKind(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		if t == '[' {
			return "an array"
		}
		return "a " + string(t)
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case float64, json.Number:
		return "a number"
	}
	return "null"
}
