"""Provider access: the ports the session domain calls to reach the voice providers, and
their implementations (docs/providers.md).

    ports.py        the ports (protocols) and ProviderError; ProviderPorts bundles them
    catalog.py      each provider's transport and model, and which are available (a key set)
    keys.py         the provider API keys from Secrets Manager (Powertools Parameters, cached)
    http.py         the one HTTP call the provider clients make (urllib: nothing to import at init)
    gemini_rest.py  Gemini's ephemeral-token call (auth_tokens, v1alpha)
    openai_rest.py  OpenAI's server-held calls (POST /v1/realtime/calls, hangup)
    schedules.py    the one-time EventBridge Scheduler schedule that hangs up a call at the limit

The domain (speakpho.access) sees only the ports; tests and the local runner give it fakes
or point the implementations at local fakes (settings: GEMINI_API_BASE, OPENAI_API_BASE).
"""
