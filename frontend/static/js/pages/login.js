import { authenticate, explain } from '../ceremony.js'

const button = document.getElementById('passkey-sign-in')
const error = document.getElementById('passkey-error')

function fail (e) {
  error.textContent = explain(e)
  error.hidden = false
}

if (button && window.PublicKeyCredential) {
  button.hidden = false
  document.getElementById('passkey-divider').hidden = false
  button.addEventListener('click', async () => {
    error.hidden = true
    try {
      await authenticate({})
      window.location.assign(button.dataset.next || '/')
    } catch (e) { fail(e) }
  })
}
