package mock8x8

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"time"
)

// Event returns the inbound message wrapped in its envelope, ready to send: namespace,
// eventType inbound_message_received, description, then the payload with its members in
// the documented order (as declared in InboundMessage), timestamp in UTC RFC 3339. The ID
// is "inbound:" + umid.
func (m InboundMessage) Event() Event {
	p := inboundJSON{
		UMID:         m.UMID,
		SubAccountID: m.SubAccountID,
		Timestamp:    jsonTime(m.Timestamp),
		Source:       m.Source,
		Destination:  m.Destination,
		Body:         m.Body,
		Encoding:     m.Encoding,
		SMSCount:     m.SMSCount,
		Price:        priceOut(m.Price),
	}
	return Event{
		ID:   "inbound:" + m.UMID,
		Type: EventTypeInbound,
		Body: marshalEnvelope(EventTypeInbound, DescriptionInbound, p),
	}
}

// Event returns the delivery receipt wrapped in its envelope, ready to send: namespace,
// eventType outbound_message_status_changed, description, then the payload with its
// members in the documented order (as declared in StatusChange), times in UTC RFC 3339.
// Members 8x8 documents as optional are left out when empty: batchId, clientMessageId,
// clientBatchId, status.detail, status.errorCode and status.errorMessage (set only for
// errors), and price (nil when nothing was charged). The ID is
// "status:" + umid + ":" + state, so each state of one SMS is one event.
func (s StatusChange) Event() Event {
	p := statusJSON{
		UMID:            s.UMID,
		BatchID:         s.BatchID,
		ClientMessageID: s.ClientMessageID,
		ClientBatchID:   s.ClientBatchID,
		SubAccountID:    s.SubAccountID,
		Source:          s.Source,
		Destination:     s.Destination,
		Status: statusBlockJSON{
			State:        s.Status.State,
			Detail:       s.Status.Detail,
			Timestamp:    jsonTime(s.Status.Timestamp),
			ErrorCode:    s.Status.ErrorCode,
			ErrorMessage: s.Status.ErrorMessage,
		},
		SMSCount: s.SMSCount,
	}
	if s.Price != nil {
		pr := priceOut(*s.Price)
		p.Price = &pr
	}
	return Event{
		ID:   "status:" + s.UMID + ":" + s.Status.State,
		Type: EventTypeStatusChange,
		Body: marshalEnvelope(EventTypeStatusChange, DescriptionStatusChange, p),
	}
}

// The wire forms of InboundMessage and StatusChange: the same members in the same order,
// with times that always encode (UTC) and amounts that always encode (finite).
type (
	inboundJSON struct {
		UMID         string    `json:"umid"`
		SubAccountID string    `json:"subAccountId"`
		Timestamp    jsonTime  `json:"timestamp"`
		Source       string    `json:"source"`
		Destination  string    `json:"destination"`
		Body         string    `json:"body"`
		Encoding     string    `json:"encoding"`
		SMSCount     int       `json:"smsCount"`
		Price        priceJSON `json:"price"`
	}
	statusJSON struct {
		UMID            string          `json:"umid"`
		BatchID         string          `json:"batchId,omitempty"`
		ClientMessageID string          `json:"clientMessageId,omitempty"`
		ClientBatchID   string          `json:"clientBatchId,omitempty"`
		SubAccountID    string          `json:"subAccountId"`
		Source          string          `json:"source"`
		Destination     string          `json:"destination"`
		Status          statusBlockJSON `json:"status"`
		Price           *priceJSON      `json:"price,omitempty"`
		SMSCount        int             `json:"smsCount"`
	}
	statusBlockJSON struct {
		State        string   `json:"state"`
		Detail       string   `json:"detail,omitempty"`
		Timestamp    jsonTime `json:"timestamp"`
		ErrorCode    int      `json:"errorCode,omitempty"`
		ErrorMessage string   `json:"errorMessage,omitempty"`
	}
	priceJSON struct {
		Total    float64 `json:"total"`
		PerSMS   float64 `json:"perSms"`
		Currency string  `json:"currency"`
	}
	envelopeJSON[T any] struct {
		Namespace   string `json:"namespace"`
		EventType   string `json:"eventType"`
		Description string `json:"description"`
		Payload     T      `json:"payload"`
	}
)

// priceOut copies p, with non-finite amounts (which JSON cannot carry) as 0.
func priceOut(p Price) priceJSON {
	finite := func(x float64) float64 {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return 0
		}
		return x
	}
	return priceJSON{Total: finite(p.Total), PerSMS: finite(p.PerSMS), Currency: p.Currency}
}

// jsonTime encodes as RFC 3339 (with fractional seconds when not whole) in UTC.
type jsonTime time.Time

// MarshalJSON writes the time in UTC; unlike time.Time it never fails.
func (t jsonTime) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 32)
	b = append(b, '"')
	b = time.Time(t).UTC().AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), nil
}

// marshalEnvelope encodes the envelope around payload, without HTML escaping (like
// Click.AppendJSON: '&' is common in SMS text and URLs) and without a trailing newline.
func marshalEnvelope[T any](eventType, description string, payload T) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(envelopeJSON[T]{Namespace: Namespace, EventType: eventType, Description: description, Payload: payload})
	if err != nil { // unreachable: every member type above always encodes
		panic("mock8x8: encoding an event: " + err.Error())
	}
	return strings.TrimSuffix(buf.String(), "\n")
}
