import { authenticate, explain } from '../ceremony.js'

const button = document.getElementById('passkey-confirm')
const error = document.getElementById('passkey-error')

button.addEventListener('click', async () => {
  error.hidden = true
  try {
    // This person's passkeys only: signing in with them renews the session's sign-in time.
    await authenticate({ user: { id: button.dataset.user } })
    window.location.assign(button.dataset.next || '/')
  } catch (e) {
    error.textContent = explain(e)
    error.hidden = false
  }
})
