<?php
// sabre/dav 1.8 (Debian php-sabre-dav: the engine of older Baikal and ownCloud) as a CalDAV and
// CardDAV server for the integration tests, run by test/servers/sabre.ts with `php -S` and this
// file as the router. It has no sync-collection (RFC 6578 came with sabre/dav 2.0), only the
// CalendarServer getctag and ETags, which is what the bridge's fallback is tested against.
// Storage: the SQLite database named by SABRE_DB (schema and users: test/servers/sabre.ts);
// passwords are checked with HTTP Basic against its test_users table.

require_once 'Sabre/autoload.php';

// sabre/dav 1.8 predates PHP 8: keep its deprecation notices out of the responses.
error_reporting(E_ALL & ~E_DEPRECATED & ~E_USER_DEPRECATED & ~E_NOTICE & ~E_WARNING);
ini_set('display_errors', '0');
ini_set('log_errors', '1');

class TestUsersBasicAuth extends Sabre\DAV\Auth\Backend\AbstractBasic {
    private $pdo;
    function __construct(PDO $pdo) { $this->pdo = $pdo; }
    protected function validateUserPass($username, $password) {
        $stmt = $this->pdo->prepare('SELECT password FROM test_users WHERE username = ?');
        $stmt->execute([$username]);
        $stored = $stmt->fetchColumn();
        return $stored !== false && hash_equals($stored, $password);
    }
}

// With SABRE_INTROSPECTION set, a request with `Authorization: Bearer <token>` (RFC 6750) is
// authenticated by asking the authorization server about the token (RFC 7662: POST token=...,
// as the resource server's client, userinfo of the URL); the principal is named by the token's `sub`.
// Anything else goes on to Basic.
class BearerOrBasicAuth implements Sabre\DAV\Auth\Backend\BackendInterface {
    private $basic;
    private $introspection;
    private $user = null;
    function __construct($basic, $introspection) { $this->basic = $basic; $this->introspection = $introspection; }
    function authenticate(Sabre\DAV\Server $server, $realm) {
        $header = $server->httpRequest->getHeader('Authorization');
        if ($this->introspection === false || !is_string($header) || stripos($header, 'Bearer ') !== 0) {
            return $this->basic->authenticate($server, $realm);
        }
        $parts = parse_url($this->introspection);
        $endpoint = $parts['scheme'] . '://' . $parts['host'] . ':' . $parts['port'] . $parts['path'];
        $context = stream_context_create(['http' => [
            'method' => 'POST',
            'header' => "Content-Type: application/x-www-form-urlencoded\r\nAuthorization: Basic " . base64_encode(urldecode($parts['user']) . ':' . urldecode($parts['pass'])) . "\r\n",
            'content' => http_build_query(['token' => substr($header, 7)]),
            'ignore_errors' => true,
        ]]);
        $answer = json_decode((string) file_get_contents($endpoint, false, $context), true);
        if (!is_array($answer) || ($answer['active'] ?? false) !== true || !is_string($answer['sub'] ?? null)) {
            $server->httpResponse->setHeader('WWW-Authenticate', 'Bearer error="invalid_token"');
            throw new Sabre\DAV\Exception\NotAuthenticated('The access token is not active');
        }
        // The user id is the local part of `sub` (test usernames have no @), as user_oidc maps a claim to a user id.
        $this->user = explode('@', $answer['sub'])[0];
        return true;
    }
    function getCurrentUser() { return $this->user ?? $this->basic->getCurrentUser(); }
}

$pdo = new PDO('sqlite:' . getenv('SABRE_DB'));
$pdo->setAttribute(PDO::ATTR_ERRMODE, PDO::ERRMODE_EXCEPTION);
$pdo->exec('PRAGMA busy_timeout = 5000');

$principals = new Sabre\DAVACL\PrincipalBackend\PDO($pdo);
$calendars = new Sabre\CalDAV\Backend\PDO($pdo);
$cards = new Sabre\CardDAV\Backend\PDO($pdo);

$tree = [
    new Sabre\CalDAV\Principal\Collection($principals),
    new Sabre\CalDAV\CalendarRootNode($principals, $calendars),
    new Sabre\CardDAV\AddressBookRoot($principals, $cards),
];
$server = new Sabre\DAV\Server($tree);
$server->setBaseUri('/');
$server->addPlugin(new Sabre\DAV\Auth\Plugin(new BearerOrBasicAuth(new TestUsersBasicAuth($pdo), getenv('SABRE_INTROSPECTION')), 'crm-bridge test sabre/dav'));
$server->addPlugin(new Sabre\DAVACL\Plugin());
$server->addPlugin(new Sabre\CalDAV\Plugin());
$server->addPlugin(new Sabre\CardDAV\Plugin());
$server->exec();
