import { authenticate, explain } from '../ceremony.js'

const button = document.getElementById('passkey-sign-in')
const error = document.getElementById('passkey-error')
const next = button ? button.dataset.next || '/' : '/'
let autofill = null // the pending conditional-mediation request, if any

function fail (e) {
  error.textContent = explain(e)
  error.hidden = false
}

async function startAutofill () {
  // Browser autofill sign-in: passkeys offered in the username field's suggestions.
  if (!window.PublicKeyCredential?.isConditionalMediationAvailable) return
  if (!(await PublicKeyCredential.isConditionalMediationAvailable())) return
  autofill = new AbortController()
  try {
    await authenticate({}, 'conditional', autofill.signal)
    window.location.assign(next)
  } catch (e) {
    if (e.name !== 'AbortError') fail(e)
  }
}

if (button && window.PublicKeyCredential) {
  button.hidden = false
  document.getElementById('passkey-divider').hidden = false
  button.addEventListener('click', async () => {
    error.hidden = true
    if (autofill) autofill.abort()
    try {
      await authenticate({})
      window.location.assign(next)
    } catch (e) { fail(e) }
  })
  startAutofill()
}
