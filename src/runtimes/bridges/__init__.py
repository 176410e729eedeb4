"""In-process bridges between bounded contexts: one context's port answered by executing
another context's commands on the shared message bus (the all-in-one deployment; split
services put an HTTP adapter behind the same port)."""
