package acuerdo

import "time"

// Experiment is a pilot: debtors randomised into arms, compared on recovery, cost
// and time to pay.
type Experiment struct {
	ID          int64      `json:"id"`
	Name        string     `json:"name"`
	Salt        string     `json:"salt"` // fixed at creation; assignment is a pure function of it
	Treatment   float64    `json:"treatment"`
	Stratify    []string   `json:"stratify"`
	Filter      string     `json:"filter,omitempty"`
	HorizonDays int        `json:"horizon_days"`
	Arms        []Arm      `json:"arms"`
	CreatedAt   time.Time  `json:"created_at"`
	LaunchedAt  *time.Time `json:"launched_at,omitempty"`
}

// Arm is one group of an experiment.
type Arm struct {
	Name  string  `json:"name"` // ArmTreatment or ArmControl
	Share float64 `json:"share"`
}

// Arm names.
const (
	ArmTreatment = "treatment"
	ArmControl   = "control"
)

// Assignment places one debtor in one arm, once and for good.
type Assignment struct {
	ExperimentID int64     `json:"experiment_id"`
	DebtorID     int64     `json:"debtor_id"`
	Arm          string    `json:"arm"`
	Bucket       int       `json:"bucket"` // SHA-256(salt ‖ debtor_id) mod 10000
	Stratum      string    `json:"stratum"`
	AssignedAt   time.Time `json:"assigned_at"`
}
