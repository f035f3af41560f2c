"""Great Expectations suites (as code) and the gate that runs them before a mart is published."""
