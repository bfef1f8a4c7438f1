// Package hostile leaks one goroutine from a subtest whose name, and whose
// output, carry text that CI systems and report formats treat as markup or
// commands: GitHub workflow commands (`::error::`, `##[error]`), their
// escapes (`%0A`), CDATA ends (`]]>`), HTML (`<script>`), Markdown table
// cells (`|`) and code spans (backticks), GitLab log sections.
// Every report leakgate writes must show this text inertly.
package hostile

// Park starts a goroutine that waits for a value nobody sends.
func Park() chan<- int {
	ch := make(chan int)
	go func() {
		<-ch
	}()
	return ch
}
