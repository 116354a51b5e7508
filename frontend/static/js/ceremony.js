// The browser side of every passkey ceremony: options JSON -> navigator.credentials -> JSON -> POST.
// Uses PublicKeyCredential.parse*OptionsFromJSON / toJSON() where the browser has them.

const b64urlToBytes = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0))
const bytesToB64url = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')

function csrfToken () {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/)
  return match ? decodeURIComponent(match[1]) : ''
}

async function postJSON (url, body) {
  const response = await fetch(url, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrfToken() },
    body: JSON.stringify(body)
  })
  const data = await response.json().catch(() => ({}))
  if (data.code === 'reauthentication_required') {
    // The same step-up as the portal's pages: re-confirm, then come back to this page.
    window.location.assign(`/login/confirm?next=${encodeURIComponent(window.location.pathname + window.location.search)}`)
  }
  if (!response.ok) throw Object.assign(new Error(data.detail || `Request failed (${response.status})`), { code: data.code })
  return data
}

function parseRequest (json) {
  if (window.PublicKeyCredential && PublicKeyCredential.parseRequestOptionsFromJSON) return PublicKeyCredential.parseRequestOptionsFromJSON(json)
  return { ...json, challenge: b64urlToBytes(json.challenge), allowCredentials: (json.allowCredentials || []).map((c) => ({ ...c, id: b64urlToBytes(c.id) })) }
}

function parseCreation (json) {
  if (window.PublicKeyCredential && PublicKeyCredential.parseCreationOptionsFromJSON) return PublicKeyCredential.parseCreationOptionsFromJSON(json)
  return {
    ...json,
    challenge: b64urlToBytes(json.challenge),
    user: { ...json.user, id: b64urlToBytes(json.user.id) },
    excludeCredentials: (json.excludeCredentials || []).map((c) => ({ ...c, id: b64urlToBytes(c.id) }))
  }
}

function toJSON (credential) {
  if (typeof credential.toJSON === 'function') return credential.toJSON()
  const r = credential.response
  const response = { clientDataJSON: bytesToB64url(r.clientDataJSON) }
  if (r.attestationObject) {
    response.attestationObject = bytesToB64url(r.attestationObject)
    response.transports = r.getTransports ? r.getTransports() : []
  } else {
    response.authenticatorData = bytesToB64url(r.authenticatorData)
    response.signature = bytesToB64url(r.signature)
    if (r.userHandle) response.userHandle = bytesToB64url(r.userHandle)
  }
  return { id: credential.id, rawId: bytesToB64url(credential.rawId), type: credential.type, response, authenticatorAttachment: credential.authenticatorAttachment, clientExtensionResults: credential.getClientExtensionResults() }
}

// Browser errors, explained in words a person can act on.
export function explain (error) {
  if (!window.isSecureContext) return 'Passkeys need a secure page (https:// or a *.localhost address).'
  if (!window.PublicKeyCredential) return 'This browser does not support passkeys.'
  switch (error && error.name) {
    case 'NotAllowedError': return 'The passkey request was cancelled or timed out. Try again, or use another way to sign in.'
    case 'InvalidStateError': return 'This authenticator already holds a passkey for your account.'
    case 'SecurityError': return 'This page is not allowed to use passkeys for this site.'
    case 'AbortError': return 'The passkey request was interrupted.'
  }
  return (error && error.message) || 'Something went wrong with the passkey.'
}

// Options the server rendered into the page (json_script id="passkey-options"): used by the
// first ceremony only, and only while their challenge is fresh; later ones fetch their own.
const loadedAt = Date.now()
const EXPIRY_MARGIN_MS = 10000

function pageOptions () {
  const element = document.getElementById('passkey-options')
  if (!element) return null
  element.remove()
  const { publicKey } = JSON.parse(element.textContent)
  if (publicKey.timeout && Date.now() - loadedAt > publicKey.timeout - EXPIRY_MARGIN_MS) return null
  return publicKey
}

async function options (url, body) {
  return pageOptions() || (await postJSON(url, body)).publicKey
}

export async function authenticate (body = {}, mediation, signal) {
  const publicKey = await options('/webauthn/authenticate/options', body)
  const request = { publicKey: parseRequest(publicKey) }
  if (mediation) request.mediation = mediation
  if (signal) request.signal = signal
  const credential = await navigator.credentials.get(request)
  return postJSON('/webauthn/authenticate', { credential: toJSON(credential) })
}

// ``base``: the REST API's ceremony for a signed-in person, or the sign-in's enrolment step.
export async function register (label, base = '/webauthn/register') {
  const publicKey = await options(`${base}/options`, {})
  const credential = await navigator.credentials.create({ publicKey: parseCreation(publicKey) })
  return postJSON(base, { credential: toJSON(credential), label })
}
