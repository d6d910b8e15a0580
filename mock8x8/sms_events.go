package mock8x8

import (
	"encoding/json"
	"time"
)

// Envelope is the JSON object every SMS webhook event arrives in; eventType tells the
// payload's shape.
type Envelope struct {
	Namespace   string          `json:"namespace"`
	EventType   string          `json:"eventType"`
	Description string          `json:"description"`
	Payload     json.RawMessage `json:"payload"`
}

// Price is what an SMS cost.
type Price struct {
	Total    float64 `json:"total"`
	PerSMS   float64 `json:"perSms"`
	Currency string  `json:"currency"`
}

// InboundMessage is the payload of an inbound_message_received event: an SMS a
// recipient sent to one of the account's numbers.
type InboundMessage struct {
	UMID         string    `json:"umid"`
	SubAccountID string    `json:"subAccountId"`
	Timestamp    time.Time `json:"timestamp"`
	Source       string    `json:"source"`
	Destination  string    `json:"destination"`
	Body         string    `json:"body"`
	Encoding     string    `json:"encoding"` // GSM7 or UCS2
	SMSCount     int       `json:"smsCount"`
	Price        Price     `json:"price"`
}

// MessageStatus is a delivery receipt's status block.
type MessageStatus struct {
	State        string    `json:"state"`  // queued, rejected, sent, delivered, undelivered, read
	Detail       string    `json:"detail"` // delivered_to_operator, delivered_to_recipient, ...
	Timestamp    time.Time `json:"timestamp"`
	ErrorCode    int       `json:"errorCode"`
	ErrorMessage string    `json:"errorMessage"`
}

// StatusChange is the payload of an outbound_message_status_changed event (a delivery
// receipt); Price is omitted when nothing was charged.
type StatusChange struct {
	UMID            string        `json:"umid"`
	BatchID         string        `json:"batchId"`
	ClientMessageID string        `json:"clientMessageId"`
	ClientBatchID   string        `json:"clientBatchId"`
	SubAccountID    string        `json:"subAccountId"`
	Source          string        `json:"source"`
	Destination     string        `json:"destination"`
	Status          MessageStatus `json:"status"`
	Price           *Price        `json:"price,omitempty"`
	SMSCount        int           `json:"smsCount"`
}
