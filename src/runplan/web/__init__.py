"""`runplan serve`: the interview, the result and the estate report in a browser, and a JSON
API beside them (runplan.web.app); the server that runs it (runplan.web.server)."""
