// The ltijs peer of `make bench` (bench/launch.py): a minimal LTI 1.3 tool written the way ltijs documents it —
// Provider.setup with the ltijs-sequelize plugin on PostgreSQL, cookies as the docs recommend for tools in an
// iframe ({ secure: true, sameSite: 'None' }), the platform registered with registerPlatform (JWK_SET: ltijs
// fetches the platform's key set on every launch, its default), and an onConnect page showing the launch's
// user. As many Node processes as the Python tool has gunicorn workers (Node's cluster module shares the port).
//
// Environment: LTIJS_PORT, LTIJS_WORKERS, LTIJS_KEY, LTIJS_DB_NAME/USER/PASS/HOST/PORT (a database of its own),
// LTIJS_ISSUER, LTIJS_CLIENT_ID, LTIJS_AUTH_URL, LTIJS_TOKEN_URL, LTIJS_KEYSET_URL. NODE_ENV=production.
'use strict'
const cluster = require('node:cluster')
const lti = require('ltijs').Provider
const Database = require('ltijs-sequelize')

const env = process.env

function setup () {
  const db = new Database(env.LTIJS_DB_NAME, env.LTIJS_DB_USER, env.LTIJS_DB_PASS || '', {
    host: env.LTIJS_DB_HOST || '127.0.0.1',
    port: Number(env.LTIJS_DB_PORT || 5432),
    dialect: 'postgres',
    logging: false
  })
  lti.setup(env.LTIJS_KEY, { plugin: db }, {
    appRoute: '/',
    loginRoute: '/login',
    cookies: { secure: true, sameSite: 'None' },
    devMode: false
  })
  lti.onConnect(async (token, req, res) => {
    const name = token.userInfo && token.userInfo.name ? token.userInfo.name : token.user
    const custom = (token.platformContext && token.platformContext.custom) || {}
    return res.send('<!doctype html><html lang="de"><head><meta charset="utf-8"><title>VAMOs (ltijs)</title>' +
      '</head><body><h1>VAMOs (ltijs)</h1><p>Angemeldet als ' + escape(name) + ', Modul ' +
      escape(custom.module || '-') + '.</p></body></html>')
  })
}

function escape (text) {
  return String(text).replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]))
}

async function primary () {
  // Tables and the registration once, before the workers start.
  setup()
  await lti.deploy({ serverless: true, silent: true })
  await lti.registerPlatform({
    url: env.LTIJS_ISSUER,
    name: 'Bench platform',
    clientId: env.LTIJS_CLIENT_ID,
    authenticationEndpoint: env.LTIJS_AUTH_URL,
    accesstokenEndpoint: env.LTIJS_TOKEN_URL,
    authConfig: { method: 'JWK_SET', key: env.LTIJS_KEYSET_URL }
  })
  await lti.close({ silent: true })
  const workers = Number(env.LTIJS_WORKERS || 4)
  for (let i = 0; i < workers; i++) cluster.fork()
  const stop = () => { for (const id in cluster.workers) cluster.workers[id].kill('SIGTERM'); process.exit(0) }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

async function worker () {
  setup()
  lti.whitelist('/healthz')
  lti.app.get('/healthz', (req, res) => res.send({ status: 'ok' }))
  await lti.deploy({ port: Number(env.LTIJS_PORT), silent: true })
}

(cluster.isPrimary ? primary() : worker()).catch(err => { console.error(err); process.exit(1) })
