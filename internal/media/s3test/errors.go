package s3test

import (
	"encoding/xml"
	"net/http"
)

// s3Error is an S3 error response: its status and the <Error> document
// (which a HEAD response leaves out, as S3 does).
type s3Error struct {
	XMLName           xml.Name `xml:"Error"`
	Status            int      `xml:"-"`
	Code              string   `xml:"Code"`
	Message           string   `xml:"Message"`
	BucketName        string   `xml:"BucketName,omitempty"`
	Key               string   `xml:"Key,omitempty"`
	Region            string   `xml:"Region,omitempty"`
	Condition         string   `xml:"Condition,omitempty"`
	AWSAccessKeyID    string   `xml:"AWSAccessKeyId,omitempty"`
	StringToSign      string   `xml:"StringToSign,omitempty"`
	SignatureProvided string   `xml:"SignatureProvided,omitempty"`
	CanonicalRequest  string   `xml:"CanonicalRequest,omitempty"`
	Resource          string   `xml:"Resource,omitempty"`
	RequestID         string   `xml:"RequestId"`
}

func errAccessDenied(message string) *s3Error {
	return &s3Error{Status: http.StatusForbidden, Code: "AccessDenied", Message: message}
}

func errMalformedAuth(message string) *s3Error {
	return &s3Error{Status: http.StatusBadRequest, Code: "AuthorizationHeaderMalformed", Message: message}
}

func errUnsupportedAuth() *s3Error {
	return errInvalidRequest("The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.")
}

func errInvalidRequest(message string) *s3Error {
	return &s3Error{Status: http.StatusBadRequest, Code: "InvalidRequest", Message: message}
}

func errNotImplemented(what string) *s3Error {
	return &s3Error{Status: http.StatusNotImplemented, Code: "NotImplemented",
		Message: "A header you provided implies functionality that is not implemented: " + what}
}

// write answers e: the status, and the XML document unless the request is
// a HEAD. A wrong region is also told in x-amz-bucket-region, which is all
// a HEAD answer has.
func (e *s3Error) write(w http.ResponseWriter, r *http.Request) {
	if e.Region != "" {
		w.Header().Set("x-amz-bucket-region", e.Region)
	}
	if r.Method == http.MethodHead {
		w.WriteHeader(e.Status)
		return
	}
	body, err := xml.Marshal(e)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(e.Status)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(body)
}
