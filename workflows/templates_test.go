package workflows_test

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/handoff-chat/handoff/internal/chat"
	"github.com/handoff-chat/handoff/workflows"
)

// templateOutcome is what one update of the library answered.
type templateOutcome struct {
	got      chat.Template
	rejected error
	err      error
}

func (o *templateOutcome) Accept()                 {}
func (o *templateOutcome) Reject(err error)        { o.rejected = err }
func (o *templateOutcome) Complete(v any, e error) { o.err = e; o.got, _ = v.(chat.Template) }

func errType(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Type()
	}
	return ""
}

// The library keeps templates with their revisions and authors; a retried
// put applies once, a create of an existing ID and an edit of a moved
// revision are refused, an invalid template never reaches the history,
// and the templates survive continue-as-new.
func TestTemplateLibraryWorkflow(t *testing.T) {
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	env.RegisterWorkflowWithOptions(workflows.TemplatesWorkflow, workflow.RegisterOptions{Name: workflows.TemplatesWorkflowName})

	link := chat.Template{ID: "track", Kind: chat.TemplateLink, Title: "Track", Text: "Hello {name}:", Button: &chat.Button{Title: "Track", URL: "https://shop.example/t"}}
	put := func(d time.Duration, req workflows.TemplatePut) *templateOutcome {
		o := &templateOutcome{}
		env.RegisterDelayedCallback(func() { env.UpdateWorkflow(workflows.UpdateTemplatePut, "", o, req) }, d)
		return o
	}
	created := put(time.Minute, workflows.TemplatePut{Template: link, Author: "ivan", RequestID: "r1", Create: true})
	retried := put(2*time.Minute, workflows.TemplatePut{Template: link, Author: "ivan", RequestID: "r1", Create: true})
	again := put(3*time.Minute, workflows.TemplatePut{Template: link, Author: "ivan", RequestID: "r2", Create: true})
	edited := link
	edited.Text = "Hi {name}, here:"
	edit := put(4*time.Minute, workflows.TemplatePut{Template: edited, Author: "maria", RequestID: "r3", IfRevision: 1})
	stale := put(5*time.Minute, workflows.TemplatePut{Template: link, Author: "ivan", RequestID: "r4", IfRevision: 1})
	bad := link
	bad.Button = &chat.Button{Title: "A button title far over twenty", URL: "https://shop.example/t"}
	invalid := put(6*time.Minute, workflows.TemplatePut{Template: bad, Author: "ivan", RequestID: "r5"})
	reused := put(6*time.Minute+30*time.Second, workflows.TemplatePut{Template: edited, Author: "ivan", RequestID: "r1"})
	var listed []chat.Template
	env.RegisterDelayedCallback(func() {
		res, err := env.QueryWorkflow(workflows.QueryTemplates)
		if err == nil {
			err = res.Get(&listed)
		}
		if err != nil {
			t.Errorf("query: %v", err)
		}
		env.SetContinueAsNewSuggested(true)
	}, 7*time.Minute)
	env.ExecuteWorkflow(workflows.TemplatesWorkflowName, workflows.TemplatesState{})

	if created.err != nil || created.got.Revision != 1 || created.got.UpdatedBy != "ivan" || !created.got.UpdatedAt.Equal(start.Add(time.Minute)) {
		t.Errorf("create: %+v %v", created.got, created.err)
	}
	if retried.err != nil || retried.got.Revision != 1 {
		t.Errorf("a retried create: %+v %v, want the first answer", retried.got, retried.err)
	}
	if errType(again.rejected) != workflows.ErrTypeReusedID {
		t.Errorf("a second create of the ID: %v, want ReusedID", again.rejected)
	}
	if edit.err != nil || edit.got.Revision != 2 || edit.got.UpdatedBy != "maria" {
		t.Errorf("edit: %+v %v", edit.got, edit.err)
	}
	if errType(stale.rejected) != workflows.ErrTypeRevisionMismatch {
		t.Errorf("an edit of revision 1 after revision 2: %v, want RevisionMismatch", stale.rejected)
	}
	if errType(invalid.rejected) != workflows.ErrTypeInvalidInput {
		t.Errorf("a button title over Messenger's limit: %v, want InvalidInput", invalid.rejected)
	}
	if errType(reused.rejected) != workflows.ErrTypeReusedID {
		t.Errorf("request ID r1 reused for another change: %v, want ReusedID", reused.rejected)
	}
	if len(listed) != 1 || listed[0].Text != "Hi {name}, here:" || listed[0].Revision != 2 {
		t.Errorf("library %+v, want the edited template", listed)
	}
	if err := env.GetWorkflowError(); !workflow.IsContinueAsNewError(err) {
		t.Errorf("the library ended with %v, want continue-as-new", err)
	}
}

func TestTemplateContentAndValidation(t *testing.T) {
	link := chat.Template{ID: "track", Kind: chat.TemplateLink, Title: "Track", Text: "Hello {name}, here:", Button: &chat.Button{Title: "Track", URL: "https://shop.example/t"}}
	c := link.Content("Мария Петрова")
	if c.Text != "Hello Мария, here:" || len(c.Buttons) != 1 || c.Buttons[0].URL != "https://shop.example/t" || c.TemplateID != "track" {
		t.Errorf("content %+v, want the first name, the button and the template ID", c)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("a template's content is not a valid staff message: %v", err)
	}
	img := chat.Template{ID: "cat", Kind: chat.TemplateImage, Title: "Catalogue", ImageURL: "https://shop.example/media/x.png"}
	if c := img.Content(""); len(c.Attachments) != 1 || c.Attachments[0].URL != img.ImageURL {
		t.Errorf("image content %+v", c)
	}
	long := link
	long.Text = strings.Repeat("a", 641)
	for name, tpl := range map[string]chat.Template{
		"no kind":            {ID: "x", Title: "x", Text: "x"},
		"no title":           {ID: "x", Kind: chat.TemplateText, Text: "x"},
		"link without a URL": {ID: "x", Kind: chat.TemplateLink, Title: "x", Text: "x", Button: &chat.Button{Title: "Go"}},
		"image without one":  {ID: "x", Kind: chat.TemplateImage, Title: "x"},
		"bad ID":             {ID: "-x", Kind: chat.TemplateText, Title: "x", Text: "x"},
		"link text over 640": long,
	} {
		if err := tpl.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
