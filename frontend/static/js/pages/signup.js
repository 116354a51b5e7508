// Sign-up pages: live slug check with suggestions; progress while the organisation is created.
const slug = document.getElementById('id_slug')
const status = document.getElementById('slug-status')
let pending = null

function show (verdict) {
  status.textContent = ''
  if (verdict.available) {
    status.textContent = `${verdict.slug} is available.`
    return
  }
  status.append(`${verdict.reason} `)
  if (verdict.suggestions.length) {
    status.append('Try: ')
    verdict.suggestions.forEach((s, i) => {
      const b = document.createElement('button')
      b.type = 'button'
      b.className = 'link'
      b.textContent = s
      b.addEventListener('click', () => { slug.value = s; check() })
      status.append(b, i < verdict.suggestions.length - 1 ? ', ' : '')
    })
  }
}

async function check () {
  const value = slug.value.trim()
  if (!value) return
  const response = await fetch(`/signup/slug?slug=${encodeURIComponent(value)}`)
  if (response.ok) show(await response.json())
}

if (slug && status) {
  slug.addEventListener('input', () => {
    clearTimeout(pending)
    pending = setTimeout(check, 250)
  })
}

const confirmForm = document.getElementById('confirm-signup')
if (confirmForm) {
  confirmForm.addEventListener('submit', () => {
    document.getElementById('confirm-button').disabled = true
    document.getElementById('confirm-progress').hidden = false
  })
}
