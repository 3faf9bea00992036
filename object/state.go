package object

import "strings"

// State is a connector's state as the Connect REST API reports it, and
// as the manifest asks for it (running, paused or stopped, which are
// StateRunning, StatePaused and StateStopped written in lower case).
type State string

// Connector states.
const (
	StateRunning    State = "RUNNING"
	StatePaused     State = "PAUSED"
	StateStopped    State = "STOPPED"
	StateFailed     State = "FAILED"
	StateUnassigned State = "UNASSIGNED"
	StateRestarting State = "RESTARTING"
	// StateAbsent is the state of a connector that does not exist.
	StateAbsent State = ""
)

func (s State) String() string { return string(s) }

// Word is the state as the manifest writes it, in lower case: "running".
func (s State) Word() string { return strings.ToLower(string(s)) }

// Desirable reports whether a manifest may ask for the state: running,
// paused or stopped. The others are states a worker reaches on its own.
func (s State) Desirable() bool {
	return s == StateRunning || s == StatePaused || s == StateStopped
}

// ParseDesired reads a manifest's state (running, paused or stopped;
// empty means running). ok is false for any other word.
//
// Only the lower-case words are taken: "Running" is not a state. They
// are compared as they are, without case mapping (which allocated, for
// every sink of a plan, twice).
func ParseDesired(word string) (s State, ok bool) {
	switch word {
	case "", "running":
		return StateRunning, true
	case "paused":
		return StatePaused, true
	case "stopped":
		return StateStopped, true
	}
	return "", false
}
