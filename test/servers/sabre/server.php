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
$server->addPlugin(new Sabre\DAV\Auth\Plugin(new TestUsersBasicAuth($pdo), 'crm-bridge test sabre/dav'));
$server->addPlugin(new Sabre\DAVACL\Plugin());
$server->addPlugin(new Sabre\CalDAV\Plugin());
$server->addPlugin(new Sabre\CardDAV\Plugin());
$server->exec();
