// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title NdrAnchor: netretain's tree heads and the NDR they imply, recorded once and for ever.
/// @notice The owner records a signed tree head (root, size), the definition's sha256, the as-of
/// month and the cohort's starting, ending and retained MRR in cents. The contract computes NDR
/// and GDR in basis points itself, rounding down (floor), so the published ratio follows from the
/// committed figures. A record has no setter, is never overwritten, and the contract has no
/// upgrade path.
contract NdrAnchor is Ownable {
    uint256 public constant BASIS_POINTS = 10_000;

    struct Record {
        bytes32 root;
        uint64 size;
        bytes32 definitionHash;
        uint32 asOfMonth;
        uint128 startingCents;
        uint128 endingCents;
        uint128 retainedCents;
        uint256 ndrBasisPoints;
        uint256 gdrBasisPoints;
        uint64 anchoredAt;
    }

    mapping(bytes32 id => Record) private _records;

    event Anchored(
        bytes32 indexed id,
        bytes32 indexed root,
        bytes32 indexed definitionHash,
        uint64 size,
        uint32 asOfMonth,
        uint128 startingCents,
        uint128 endingCents,
        uint128 retainedCents,
        uint256 ndrBasisPoints,
        uint256 gdrBasisPoints
    );

    error AlreadyAnchored(bytes32 id);
    error NotAnchored(bytes32 id);
    error InvalidMonth(uint32 asOfMonth);
    error EmptyCohort();
    error RetainedExceedsStartOrEnd(uint128 retainedCents);

    constructor(address initialOwner) Ownable(initialOwner) {}

    /// @notice The key of a record: one per (root, definition, as-of month).
    function recordId(bytes32 root, bytes32 definitionHash, uint32 asOfMonth)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(root, definitionHash, asOfMonth));
    }

    /// @notice Record a head and a cohort's MRR; as-of month is YYYYMM (202403 for March 2024).
    function anchor(
        bytes32 root,
        uint64 size,
        bytes32 definitionHash,
        uint32 asOfMonth,
        uint128 startingCents,
        uint128 endingCents,
        uint128 retainedCents
    ) external onlyOwner returns (bytes32 id) {
        uint32 month = asOfMonth % 100;
        if (month == 0 || month > 12 || asOfMonth < 100_001) revert InvalidMonth(asOfMonth);
        if (startingCents == 0) revert EmptyCohort();
        if (retainedCents > startingCents || retainedCents > endingCents) {
            revert RetainedExceedsStartOrEnd(retainedCents);
        }
        id = recordId(root, definitionHash, asOfMonth);
        if (_records[id].anchoredAt != 0) revert AlreadyAnchored(id);
        Record storage r = _records[id];
        r.root = root;
        r.size = size;
        r.definitionHash = definitionHash;
        r.asOfMonth = asOfMonth;
        r.startingCents = startingCents;
        r.endingCents = endingCents;
        r.retainedCents = retainedCents;
        r.ndrBasisPoints = basisPoints(endingCents, startingCents);
        r.gdrBasisPoints = basisPoints(retainedCents, startingCents);
        r.anchoredAt = uint64(block.timestamp);
        _emit(id, r);
    }

    /// @notice A stored record; reverts with NotAnchored for an unknown id.
    function getRecord(bytes32 id) external view returns (Record memory) {
        Record memory r = _records[id];
        if (r.anchoredAt == 0) revert NotAnchored(id);
        return r;
    }

    /// @notice floor(numerator * 10000 / denominator): the rounding netretain documents.
    function basisPoints(uint128 numerator, uint128 denominator) public pure returns (uint256) {
        return (uint256(numerator) * BASIS_POINTS) / denominator;
    }

    function _emit(bytes32 id, Record storage r) private {
        emit Anchored(
            id,
            r.root,
            r.definitionHash,
            r.size,
            r.asOfMonth,
            r.startingCents,
            r.endingCents,
            r.retainedCents,
            r.ndrBasisPoints,
            r.gdrBasisPoints
        );
    }
}
